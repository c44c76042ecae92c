"""What `landingzone drill` prints: the run's drill records, read back from its evidence.

A drill's records are of three kinds, told apart by their key: a ``service`` brought back (its
time against its RTO), a host ``rebuilt`` by `--all` (what it stands in for, where its time
went), and the whole ``set`` of `--all` (the time to its last service)."""


def split_records(records: list[dict]) -> tuple[list[dict], list[dict], dict | None]:
    """(services, rebuilt hosts, the whole set or None), each in the run's order."""
    services = [record for record in records if "service" in record]
    rebuilt = [record for record in records if "rebuilt" in record]
    whole_set = next((record for record in records if "set" in record), None)
    return services, rebuilt, whole_set


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
    return lines
