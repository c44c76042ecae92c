"""The references a result cites, labelled for people: both CyFun editions, the benchmarks, ANSSI.

One list, so that report.html and junit.xml name the same references the same way.
"""

# Result field: its label. `cis` is CIS Debian 12 on Linux hosts and CIS Windows 11 on Windows ones.
REFERENCE_LABELS = (
    ("cyfun", "CyFun 2023"),
    ("cyfun_2025", "CyFun 2025"),
    ("cis", "CIS"),
    ("cis_debian13", "CIS Debian 13"),
    ("anssi", "ANSSI"),
    ("ms_baseline", "Microsoft baseline"),
)


def labelled_references(result: dict) -> list[tuple[str, list[str]]]:
    """(label, ids) for every reference field the result has, in the order above."""
    return [(label, list(result[field])) for field, label in REFERENCE_LABELS if result.get(field)]
