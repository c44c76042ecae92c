"""A failed scenario's message shows the baseline's last per-status summary even when it lies above
the log's last lines: after a failed idempotence, it names the controls the second apply changed."""

from molecule_scenarios import _last_baseline_summary

SUMMARY = [
    "TASK [cyberveilig.landingzone.linux_baseline : Summarise the baseline per status] ***",
    "ok: [lz-stock-debian12] => {",
    '    "msg": {"fixed": {"count": 1, "ids": ["LZ-ACC-021"]}, "pass": {"count": 325}}',
    "}",
    "",
]


def test_a_summary_far_above_the_tail_is_shown_up_to_the_next_task():
    first_apply = ["TASK [...] ***", *SUMMARY, "TASK [Keep this apply's result for the verify] ***"]
    second_apply = [*SUMMARY[:2], '    "msg": {"fixed": {"count": 4, "ids": ["LZ-X"]}}', "}", "", "TASK [Keep] ***"]
    lines = first_apply + ["noise"] * 50 + second_apply + ["destroy"] * 120
    shown = _last_baseline_summary(lines)
    assert shown[0] == SUMMARY[0] and '"LZ-X"' in shown[2]  # the last apply's, not the first's
    assert "TASK [Keep] ***" not in shown and shown[-1] == "..."


def test_nothing_is_added_when_the_summary_is_in_the_tail_or_absent():
    assert _last_baseline_summary([*SUMMARY, "TASK [x]", *["line"] * 10]) == []
    assert _last_baseline_summary(["line"] * 200) == []
