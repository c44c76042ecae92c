"""Exit codes: 0 compliant, 1 non-compliant, 2 bad input, 3 not finished; the highest wins."""

from landingzone.runner import exit_codes
from landingzone.runner.events import RunObserver
from landingzone.runner.job import RUN_KINDS, _exit_code


def test_the_highest_code_wins():
    assert exit_codes.highest([]) == 0
    assert exit_codes.highest([0, 1, 0]) == 1
    assert exit_codes.highest([1, 3, 0]) == 3
    assert exit_codes.highest([3, 2]) == 3


def _observer(results=(), unreachable=(), failed=()):
    observer = RunObserver("gent", ["a", "b"], set())
    observer.results = [{"host": "a", "id": f"LZ-X-{i}", "status": s} for i, s in enumerate(results)]
    for name, state in observer.host_states.items():
        state.reachable = name not in unreachable
        state.failed = name in failed
        state.done = True
    return observer


def test_an_audit_with_only_passing_controls_is_compliant():
    assert _exit_code(RUN_KINDS["audit"], _observer(["pass", "waived", "not_applicable", "fixed"])) == 0


def test_a_failed_or_errored_control_makes_an_audit_non_compliant():
    assert _exit_code(RUN_KINDS["audit"], _observer(["pass", "fail"])) == 1
    assert _exit_code(RUN_KINDS["audit"], _observer(["error"])) == 1
    assert _exit_code(RUN_KINDS["apply"], _observer(["fail"])) == 1


def test_a_plan_reports_what_would_change_without_calling_it_non_compliant():
    assert _exit_code(RUN_KINDS["plan"], _observer(["fail", "pass"])) == 0


def test_an_unreachable_or_failed_host_outranks_non_compliance():
    assert _exit_code(RUN_KINDS["audit"], _observer(["fail"], unreachable=["b"])) == 3
    assert _exit_code(RUN_KINDS["plan"], _observer([], failed=["a"])) == 3


def test_a_missed_rpo_or_rto_record_makes_the_run_non_compliant():
    observer = _observer(["pass"])
    observer.sections["backup"]["a"] = [{"repository": "a", "rpo_met": True}]
    assert _exit_code(RUN_KINDS["audit"], observer) == 0
    observer.sections["drill"]["a"] = [{"service": "register", "rto_met": False}]
    assert _exit_code(RUN_KINDS["drill"], observer) == 1
    assert _exit_code(RUN_KINDS["plan"], observer) == 0
