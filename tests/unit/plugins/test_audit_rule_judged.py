"""An audit_rule result says that only the rules file was read, on a server as in a container, so
that an auditor never takes the file for the rules the kernel has loaded."""

from __future__ import annotations

import pytest
from engine_harness import control, run

RULE = control("audit_rule", {"rule": "-w /etc/passwd -p wa -k identity"}, "LZ-AUDIT-001")


@pytest.mark.parametrize("kind", ["server", "container"])
def test_the_result_names_the_file_as_what_was_judged(system, kind):
    report, _ = run(system, [RULE], mode="audit", host_kind=kind)
    (result,) = report["results"]
    assert result["status"] == ("fail" if kind == "server" else "not_applicable")
    assert result["evidence"]["found"]["judged_by"].startswith("the rules file only")
    if kind == "container":
        assert "no audit subsystem in a container" in result["reason"]
