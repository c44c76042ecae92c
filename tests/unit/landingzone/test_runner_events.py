"""Reading ansible-runner events: control results, host states, redaction before writing."""

from landingzone.runner.events import RunObserver

SECRET = "$6$salt$not-a-real-hash-but-secret"


def _event(kind, host=None, **data):
    event_data = dict(data)
    if host:
        event_data["host"] = host
    return {"event": kind, "event_data": event_data, "stdout": data.pop("stdout", ""), "created": "2026-03-02T08:00:00"}


def _engine_result(host, *statuses):
    return _event(
        "runner_on_ok",
        host,
        task_action="cyberveilig.landingzone.linux_controls",
        res={"results": [{"id": f"LZ-T-{i:03}", "status": s} for i, s in enumerate(statuses)]},
    )


def test_engine_results_are_collected_per_host_and_counted():
    seen = []
    observer = RunObserver("gent", ["a", "b"], set(), on_progress=seen.append)
    observer.handle(_engine_result("a", "pass", "fail", "fixed", "waived"))
    assert [r["host"] for r in observer.results] == ["a"] * 4
    assert observer.results[1] == {"host": "a", "time": "2026-03-02T08:00:00", "id": "LZ-T-001", "status": "fail"}
    progress = seen[-1]
    assert (progress.hosts_done, progress.hosts_total) == (1, 2)
    assert (progress.controls_passed, progress.controls_failed) == (2, 1)


def test_the_counts_follow_every_result_of_every_host_and_a_missing_status():
    observer = RunObserver("gent", ["a", "b"], set())
    observer.handle(_engine_result("a", "pass", "fail"))
    observer.handle(_engine_result("b", "fail", "error"))
    bare = _engine_result("b")
    bare["event_data"]["res"]["results"] = [{"id": "LZ-T-009"}]
    observer.handle(bare)
    assert observer.status_counts() == {"pass": 1, "fail": 2, "error": 1, "unknown": 1}
    # A copy: whoever changes it changes nothing of the run's counts.
    observer.status_counts()["pass"] += 5
    assert observer.progress().controls_passed == 1


def test_the_resolved_action_also_identifies_the_engine():
    observer = RunObserver("gent", ["a"], set())
    event = _engine_result("a", "pass")
    event["event_data"]["task_action"] = "linux_controls"
    event["event_data"]["resolved_action"] = "cyberveilig.landingzone.linux_controls"
    observer.handle(event)
    assert len(observer.results) == 1


def test_other_tasks_results_are_not_taken_for_controls():
    observer = RunObserver("gent", ["a"], set())
    observer.handle(_event("runner_on_ok", "a", task_action="ansible.builtin.debug", res={"results": [{"id": "x"}]}))
    assert observer.results == []
    assert observer.host_states["a"].reachable is True


def test_unreachable_and_failed_hosts_are_recorded_with_their_message():
    observer = RunObserver("gent", ["a", "b"], set())
    observer.handle(_event("runner_on_unreachable", "a", res={"msg": "ssh: connect to host a port 22: No route"}))
    observer.handle(_event("runner_on_failed", "b", task="Check", res={"msg": "boom"}))
    observer.handle(_event("playbook_on_stats", dark={"a": 1}, failures={"b": 1}, processed={"a": 1, "b": 1}))
    records = observer.host_records()
    assert records["a"] == {"reachable": False, "failed": False, "message": "ssh: connect to host a port 22: No route"}
    assert records["b"] == {"reachable": True, "failed": True, "message": "Check: boom"}


def test_an_ignored_failure_does_not_fail_the_host():
    observer = RunObserver("gent", ["a"], set())
    observer.handle(_event("runner_on_failed", "a", ignore_errors=True, res={"msg": "expected"}))
    assert observer.host_states["a"].failed is False


def test_hosts_the_run_never_reached_are_listed_as_not_reached():
    observer = RunObserver("gent", ["a", "b"], set())
    observer.handle(_engine_result("a", "pass"))
    observer.finish("the playbook stopped early")
    assert observer.host_records()["b"] == {
        "reachable": False,
        "failed": False,
        "message": "not reached: the playbook stopped early",
    }
    assert observer.progress().finished and observer.progress().hosts_done == 2


def test_secrets_are_scrubbed_from_the_event_before_it_is_written_and_logged(tmp_path):
    observer = RunObserver("gent", ["a"], {SECRET}, log_path=tmp_path / "log")
    event = _event(
        "runner_on_ok",
        "a",
        task_action="ansible.builtin.debug",
        res={"msg": f"hash is {SECRET}"},
        stdout=f"ok: [a] => hash is {SECRET}",
    )
    assert observer.handle(event) is True  # ansible-runner writes what the handler leaves in the event
    assert SECRET not in repr(event)
    assert "hash is" in event["event_data"]["res"]["msg"]
    log = (tmp_path / "log").read_text()
    assert "ok: [a]" in log and SECRET not in log


def test_a_host_no_play_is_meant_for_is_not_reached_but_nothing_went_wrong():
    observer = RunObserver("gent", ["collector", "app"], set())
    observer.handle(_event("runner_on_ok", "collector", task_action="ansible.builtin.debug", res={}))
    observer.handle(_event("playbook_on_stats", processed={"collector": 1}))
    observer.finish("unused")
    app = observer.host_states["app"]
    assert (app.reachable, app.failed, app.went_wrong) == (False, False, False)
    assert app.message == "not reached: no play of this run is meant for this host"
    assert observer.host_states["collector"].went_wrong is False


def test_without_a_play_recap_every_silent_host_went_wrong():
    observer = RunObserver("gent", ["app"], set())
    observer.finish("ERROR! the playbook could not be parsed")
    assert observer.host_states["app"].went_wrong
    assert observer.host_states["app"].message == "not reached: ERROR! the playbook could not be parsed"


def test_evidence_records_of_other_tasks_land_in_their_section_per_host():
    observer = RunObserver("gent", ["a", "b"], set())
    backup = {"section": "backup", "record": {"repository": "a", "rpo_met": True}}
    observer.handle(
        _event("runner_on_ok", "a", task_action="x.restic_snapshot_status", res={"landingzone_evidence": backup})
    )
    looped = {"results": [{"landingzone_evidence": {"section": "vpn", "record": {"peer": n}}} for n in ("p1", "p2")]}
    observer.handle(_event("runner_on_failed", "b", task_action="x.vpn_status", res=looped))
    assert observer.sections["backup"] == {"a": [{"repository": "a", "rpo_met": True}]}
    assert observer.sections["vpn"] == {"b": [{"peer": "p1"}, {"peer": "p2"}]}
    assert observer.sections["drill"] == {}
    assert observer.results == []


def test_malformed_or_unknown_evidence_sections_are_ignored():
    observer = RunObserver("gent", ["a"], set())
    for evidence in ({"section": "elsewhere", "record": {}}, {"section": "backup", "record": "text"}, "text"):
        observer.handle(_event("runner_on_ok", "a", task_action="x", res={"landingzone_evidence": evidence}))
    assert observer.sections == {"backup": {}, "drill": {}, "vpn": {}, "logs": {}, "confinement": {}}


def test_one_task_may_return_several_records_of_a_section():
    observer = RunObserver("gent", ["log1"], set())
    evidence = {"section": "logs", "records": [{"sender": "a", "chain_ok": True}, "text", {"sender": "b"}]}
    observer.handle(
        _event("runner_on_ok", "log1", task_action="x.log_chain_status", res={"landingzone_evidence": evidence})
    )
    assert observer.sections["logs"] == {"log1": [{"sender": "a", "chain_ok": True}, {"sender": "b"}]}
