"""What `landingzone drill` prints: the run's drill records, read back from its evidence.

A drill's records are of four kinds, told apart by their key: a ``service`` brought back (its
time against its RTO), a host ``rebuilt`` by `--all` (what it stands in for, where its time
went), the whole ``set`` of `--all` (the time to its last service), and the ``workplace`` of
`--workplace` and `--all` (the time to its last desk logged into, drill_workplace.py)."""


def split_records(records: list[dict]) -> tuple[list[dict], list[dict], dict | None]:
    """(services, rebuilt hosts, the whole set or None), each in the run's order."""
    services = [record for record in records if "service" in record]
    rebuilt = [record for record in records if "rebuilt" in record]
    whole_set = next((record for record in records if "set" in record), None)
    return services, rebuilt, whole_set


def workplace_record(records: list[dict]) -> dict | None:
    return next((record for record in records if "workplace" in record), None)


def workplace_lines(record: dict) -> list[str]:
    """The workplace's line, then one per desk: who logged in, after how long, what the session showed."""
    met = "yes" if record.get("rto_met") else "NO"
    lines = [
        f"  workplace: {record.get('status', '?')}, {record.get('desks', '?')} desks logged into after "
        f"{record.get('achieved_seconds')} s of an RTO of {record.get('rto_minutes', '?')} min  (met: {met})"
        + (f": {record['error']}" if record.get("error") else "")
    ]
    for login in record.get("logins") or []:
        lines.append(
            f"    desk {login.get('desk', '?')} as {login.get('person', '?')}: "
            + (
                f"logged in after {login.get('after_seconds', '?')} s (its login {login.get('login_seconds')} s)"
                if login.get("logged_in")
                else f"NOT logged in: {login.get('problem', '?')}"
            )
        )
    return lines


def summary_lines(municipality: str, planned: list[str], records: list[dict]) -> list[str]:
    services, rebuilt, whole_set = split_records(records)
    lines = [f"drill {municipality}: {len(planned)} services"]
    for record in rebuilt:
        lines.append(
            f"  rebuilt {record['rebuilt']} for {record.get('stands_in_for', '?')} ({record.get('role', '?')}): "
            f"{record.get('status', '?')}, ready after {record.get('ready_seconds', '?')} s"
            + (f", logs to {record['logs_to']}" if record.get("logs_to") else "")
            + (f": {record['error']}" if record.get("error") else "")
        )
    for record in services:
        lines.append(
            f"  {record.get('service', '?'):<24} {record.get('status', '?'):<6} "
            f"{record.get('achieved_seconds', '?')} s of an RTO of {record.get('rto_minutes', '?')} min"
            f"  (met: {'yes' if record.get('rto_met') else 'NO'})"
            + (f"  logs to {record['logs_to']}" if record.get("logs_to") else "")
        )
    drilled = {record.get("service") for record in services}
    not_reached = [name for name in planned if name not in drilled]
    if not_reached:
        lines.append(f"  not reached: {', '.join(not_reached)}")
    if whole_set is not None:
        met = "yes" if whole_set.get("rto_met") else "NO"
        lines.append(
            f"  the whole set: {whole_set.get('status', '?')}, "
            f"{whole_set.get('achieved_seconds')} s to its last service  (every RTO met: {met})"
        )
    workplace = workplace_record(records)
    if workplace is not None:
        lines += workplace_lines(workplace)
    return lines
