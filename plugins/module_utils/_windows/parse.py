"""The host's answer, turned into the engine result schema (module_utils/_controls/results.py).

The script prints one line per control, 'LZW-RESULT <json>'. Anything else in the output is
noise and ignored; a line that does not parse is reported against its control when its id
can still be read; a control without a line (the script stopped, the output was cut) is an
error that says so. Statuses follow the Linux engine: waivers, expiry and the wording of a
waived result are the same code (engine._waiver_reason, engine._waiver_state).
"""

from __future__ import annotations

import json
import re

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls import results
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.engine import (
    _waiver_reason,
    _waiver_state,
)
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.finding import Finding
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._windows.types import TYPES

MARKER = "LZW-RESULT "
# One line about the host itself, printed instead of any result when the script cannot run its checks.
HOST_MARKER = "LZW-HOST "
ID_IN_LINE = re.compile(r'"id"\s*:\s*"(LZW-[A-Z0-9]+-\d{3})"')


def _lines(module_result):
    """Every line the script printed, from its output objects and from host output."""
    for item in module_result.get("output") or []:
        if isinstance(item, str):
            yield from item.splitlines()
    yield from str(module_result.get("host_out") or "").splitlines()


def host_refusal(module_result):
    """Why the script checked nothing on this host, in words, or None when it ran its checks."""
    for line in _lines(module_result):
        start = line.find(HOST_MARKER)
        if start < 0:
            continue
        try:
            state = json.loads(line[start + len(HOST_MARKER) :])
        except ValueError:
            continue
        mode = state.get("language_mode") if isinstance(state, dict) else None
        if mode:
            return (
                f"PowerShell runs in {mode} mode on this host, not FullLanguage, so no control was checked: "
                "App Control for Business (WDAC) script enforcement or AppLocker constrains unsigned scripts, "
                "and the checks need .NET. Allow the engine's script for the management account, then run again."
            )
    return None


def host_records(module_result):
    """{control id: record} from the result lines, and a list of problems with the output."""
    records, problems = {}, []
    for line in _lines(module_result):
        start = line.find(MARKER)
        if start < 0:
            continue
        payload = line[start + len(MARKER) :].strip()
        try:
            record = json.loads(payload)
            if not isinstance(record, dict) or not isinstance(record.get("id"), str):
                raise ValueError("not a result object")
        except ValueError as exc:
            match = ID_IN_LINE.search(payload)
            if match and match.group(1) not in records:
                records[match.group(1)] = {
                    "id": match.group(1),
                    "state": "error",
                    "reason": f"unreadable result: {exc}",
                }
            problems.append(f"unreadable result line ({exc}): {payload[:120]}")
            continue
        if record["id"] in records:
            problems.append(f"second result for {record['id']} ignored")
            continue
        records[record["id"]] = record
    return records, problems


def why_stopped(module_result):
    """What the module said when the script did not get to every control."""
    errors = [
        str(
            error.get("exception", {}).get("message")
            if isinstance(error.get("exception"), dict)
            else error.get("output")
        )
        for error in module_result.get("error") or []
        if isinstance(error, dict)
    ]
    message = module_result.get("msg") or "; ".join(e for e in errors if e and e != "None")
    return str(message or "the script ended before it")


def _expected(control):
    return TYPES[control["type"]].expected(control["params"])


def _with_references(record, control):
    """The Microsoft security baseline references next to CyFun and CIS, on every record, whatever
    its status, so that the evidence names them without the catalog."""
    if control.get("ms_baseline"):
        record["ms_baseline"] = list(control["ms_baseline"])
    return record


class Outcome:
    """Turns one host record into one result record, knowing how the control was rendered."""

    def __init__(self, control, host, fixing, held_back, applying):
        self.control, self.host, self.fixing, self.applying = control, host, fixing, applying
        self.held_back = held_back  # why a fixable control was rendered audit only (transport)
        waiver = control.get("waiver")
        self.waiver_state = _waiver_state(control)
        self.waiver_info = dict(waiver, state=self.waiver_state) if waiver else None

    def _record(self, status, finding=None, changed=False, reason="", source=None, reboot=False, value_type=None):
        record = results.record(
            self.control,
            status,
            changed=changed,
            reason=reason,
            found=finding.found if finding else None,
            expected=_expected(self.control),
            reboot_required=reboot and status != "waived",
            waiver=self.waiver_info,
        )
        if source:
            record["evidence"]["source"] = source
        value_type = self.host.get("value_type") if value_type is None else value_type
        if value_type:
            record["evidence"]["value_type"] = value_type  # REG_DWORD, REG_SZ ...: what the host holds
        return _with_references(record, self.control)

    def result(self):
        host = self.host
        if host.get("state") == "error":
            return self._record("error", reason=str(host.get("reason") or "the check failed"))
        finding = Finding(
            compliant=host.get("state") == "compliant",
            found=host.get("found"),
            expected=_expected(self.control),
            reason=str(host.get("reason") or ""),
            fixable=bool(host.get("fixable", True)) and not TYPES[self.control["type"]].AUDIT_ONLY,
            reboot_required=bool(host.get("reboot")),
        )
        source = host.get("source") or None
        if host.get("state") == "not_applicable":
            return self._record("not_applicable", finding, reason=str(host.get("not_applicable") or ""), source=source)
        if self.waiver_state == "active":
            return self._record(
                "waived", finding, reason=_waiver_reason(self.control["waiver"], finding), source=source
            )
        expired = (
            f" (waiver expired on {self.control['waiver'].get('expires')})" if self.waiver_state == "expired" else ""
        )
        if host.get("fix_error"):
            return self._record("error", finding, reason=f"the fix failed: {host['fix_error']}{expired}", source=source)
        if host.get("fixed"):
            return self._after_fix(finding, source, expired)
        if finding.compliant:
            return self._record("pass", finding, source=source, reboot=finding.reboot_required)
        reason = finding.reason + expired
        if not finding.fixable:
            handler = TYPES[self.control["type"]]
            if handler.AUDIT_ONLY:
                reason = f"{reason}; {handler.WHY_AUDIT_ONLY}" if finding.reason else handler.WHY_AUDIT_ONLY
            return self._record("fail", finding, reason=reason, source=source, reboot=finding.reboot_required)
        if self.held_back:
            return self._record("fail", finding, reason=f"{reason}; not fixed because {self.held_back}", source=source)
        # Audit and check mode: apply would fix it, so the record says it would change.
        return self._record("fail", finding, changed=True, reason=reason, source=source)

    def _after_fix(self, finding, source, expired):
        after = self.host.get("after") or {}
        fixed = Finding(
            compliant=after.get("state") == "compliant", found=after.get("found"), reason=str(after.get("reason") or "")
        )
        # The host says so for what it can see (a feature pending removal); the catalog says so for
        # values Windows reads only at start (RunAsPPL, NodeType ...), where the host cannot tell.
        reboot = bool(self.host.get("reboot")) or bool(self.control.get("reboot_required"))
        if fixed.compliant:
            return self._record(
                "fixed",
                fixed,
                changed=True,
                reason=finding.reason + expired,
                source=after.get("source") or source,
                reboot=reboot,
                value_type=after.get("value_type") or "",
            )
        if after.get("pending"):
            return self._record(
                "fixed",
                fixed,
                changed=True,
                reason=f"{finding.reason}{expired}; takes effect after a restart",
                source=after.get("source") or source,
                reboot=True,
                value_type=after.get("value_type") or "",
            )
        return self._record(
            "error", fixed, changed=True,
            reason=f"the fix ran but did not take effect: {fixed.reason or 'still not compliant'}{expired}",
            source=after.get("source") or source, value_type=after.get("value_type") or "",
        )  # fmt: skip


def to_results(plan, module_result, applying, not_applicable=(), held_back=None):
    """One result per control: plan in order, then the controls that do not apply to this host."""
    held_back = held_back or {}
    records, problems = host_records(module_result)
    stopped = None
    out = []
    for control, fixing in plan:
        host = records.get(control["id"])
        if host is None:
            stopped = stopped or why_stopped(module_result)
            out.append(
                _with_references(
                    results.record(
                        control,
                        "error",
                        reason=f"no result from the host for this control: {stopped}",
                        expected=_expected(control),
                        waiver=dict(control["waiver"], state=_waiver_state(control)) if control.get("waiver") else None,
                    ),
                    control,
                )
            )
            continue
        out.append(Outcome(control, host, fixing, held_back.get(control["id"]), applying).result())
    for control, reason in not_applicable:
        out.append(_with_references(results.record(control, "not_applicable", reason=reason), control))
    return out, problems
