"""Counting results per status and CyFun level, and what compliance means here.

Compliance is (pass + fixed) / (pass + fixed + fail + error). Waived controls are an accepted
risk and not-applicable ones cannot be assessed, so both are left out rather than counted as
either; a report says so next to the figure.
"""

import math

# The levels and statuses are the collection's catalog layer's, which the engines report in.
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.catalog import (
    LEVELS,
    STATUSES,
)

COMPLIANT = ("pass", "fixed")
NONCOMPLIANT = ("fail", "error")
# The order in which a person should read results: what is broken first.
READING_ORDER = {"error": 0, "fail": 1, "waived": 2, "fixed": 3, "pass": 4, "not_applicable": 5}


def counts(results) -> dict:
    tally = dict.fromkeys(STATUSES, 0)
    for result in results:
        if result.get("status") in tally:  # anything else is reported by the schema check
            tally[result["status"]] += 1
    return {**tally, "compliance": compliance(tally)}


def compliance(tally: dict) -> float | None:
    good = sum(tally[status] for status in COMPLIANT)
    assessed = good + sum(tally[status] for status in NONCOMPLIANT)
    if not assessed:
        return None
    # Rounded down to one decimal: a report must never show 100 % while something fails.
    return math.floor(1000 * good / assessed) / 10


def summarise(results, hosts: dict) -> dict:
    return {
        "overall": counts(results),
        "by_level": {level: counts(r for r in results if r.get("level") == level) for level in LEVELS},
        "hosts_not_reached": sorted(name for name, state in hosts.items() if not state.get("reachable", True)),
    }


def percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f} %"


def reading_order(result) -> tuple:
    return READING_ORDER.get(result["status"], 0), result["host"], result["control"]
