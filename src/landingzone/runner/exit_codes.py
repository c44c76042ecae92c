"""The CLI's exit codes; where several apply to a run, the highest wins."""

from collections.abc import Iterable

COMPLIANT = 0
NON_COMPLIANT = 1
BAD_INPUT = 2
NOT_FINISHED = 3

# Statuses that make a municipality non-compliant after an audit or an apply.
NON_COMPLIANT_STATUSES = frozenset({"fail", "error"})


def highest(codes: Iterable[int]) -> int:
    return max(codes, default=COMPLIANT)
