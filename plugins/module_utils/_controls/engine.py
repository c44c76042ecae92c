"""Check every control, stage the fixes, commit once, and report one record per control."""

from __future__ import annotations

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls import results, transaction
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.finding import Finding
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.handlers import HANDLERS
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.host import UnknownAccount
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.packages import install_packages
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.schema import validate_controls


def _waiver_state(control):
    waiver = control.get("waiver")
    if not waiver:
        return None
    return control.get("waiver_state") or "active"


def _assess(control, host, handlers):
    """Check one control and, unless waived, stage its fix. Returns (finding, error)."""
    handler = handlers[control["type"]]
    host.tx.current = control["id"]
    try:
        finding = handler.check(control["params"], host)
        if not finding.compliant and finding.fixable and _waiver_state(control) != "active":
            handler.fix(control["params"], host, finding)
    except UnknownAccount as exc:
        return None, exc
    except Exception as exc:  # one broken control must not stop the others: it becomes an error
        return None, f"{type(exc).__name__}: {exc}"
    finally:
        host.tx.current = None
    return finding, ""


class Engine:
    def __init__(self, host, handlers=None):
        self.host = host
        self.handlers = handlers or HANDLERS
        self.predicted = set()  # ids check mode predicts a change for without staging one

    def run(self, controls, mode):
        """mode: apply or audit. Check mode on the host makes apply an audit that predicts."""
        controls = validate_controls(controls)
        committing = mode == "apply" and not self.host.check_mode
        outcome = {}
        applicable = [c for c in controls if self.host.host_kind in c["applies_to"]]
        # Packages first, and installed before anything else is checked: a package's own
        # configuration file must be edited as the package ships it (a file staged before
        # the install would replace it whole), and its groups and units must exist.
        for control in applicable:
            if control["type"] == "package":
                outcome[control["id"]] = self._assess(control)
        if committing:
            install_packages(self.host.tx)
        for control in applicable:
            if control["type"] != "package":
                outcome[control["id"]] = self._assess(control)
        if committing:
            self.host.tx.commit()
        records = []
        for control in controls:
            finding, error = outcome.get(control["id"], (None, "not_applicable"))
            records.append(self._record(control, finding, error, committing))
        return self._report(records, mode)

    def _assess(self, control):
        finding, error = _assess(control, self.host, self.handlers)
        pending = sorted(self.host.tx.packages["present"])
        if isinstance(error, UnknownAccount) and pending and self.host.check_mode:
            # Check mode installs nothing: the group or user may well come with those packages.
            self.predicted.add(control["id"])
            return Finding(compliant=False, reason=f"{error} yet; it may come with {', '.join(pending)}"), ""
        return finding, str(error) if error else ""

    def _record(self, control, finding, error, committing):
        waiver = control.get("waiver")
        state = _waiver_state(control)
        waiver_info = dict(waiver, state=state) if waiver else None
        if error == "not_applicable":
            reason = (
                f"applies to {', '.join(control['applies_to'])}; this host is a {self.host.host_kind.replace('_', ' ')}"
            )
            return results.record(control, "not_applicable", reason=reason, waiver=waiver_info)
        if error:
            return results.record(control, "error", reason=error, waiver=waiver_info)
        build = _RecordBuilder(control, finding, self.host.tx, waiver_info)
        if state == "active":
            return build("waived", reason=_waiver_reason(waiver, finding))
        expired = f" (waiver expired on {waiver.get('expires')})" if state == "expired" else ""
        touched = self.host.tx.touched(control["id"]) or control["id"] in self.predicted
        if finding.compliant and not finding.live_reason:
            return build("pass", changed=False)
        if not finding.fixable:
            return build("fail", reason=finding.reason + expired)
        if committing:
            problems = self.host.tx.errors_for(control["id"])
            if problems:
                return build("error", changed=self._file_committed(control["id"]), reason="; ".join(problems))
            refused = self.host.tx.container_refusals(control["id"])
            if refused:
                why = f"the container's kernel refused the live change ({'; '.join(refused)}); the rest is applied"
                return build("not_applicable", changed=touched, reason=why + expired)
        if finding.live_reason:
            return build("not_applicable", changed=touched, reason=finding.live_reason + expired)
        if not touched:
            return build("fail", reason=finding.reason + expired)
        if committing:
            return build("fixed", changed=True, reason=finding.reason + expired)
        return build("fail", changed=True, reason=finding.reason + expired)

    def _file_committed(self, control_id):
        return any(f.committed and control_id in f.control_ids for f in self.host.tx.files.values())

    def _report(self, records, mode):
        tx = self.host.tx
        summary = results.summarise(records)
        would_change = any(r["changed"] for r in records)
        return {
            "results": records,
            "summary": summary,
            # An audit changes nothing; its records still say what apply would change.
            "changed": would_change and mode == "apply",
            "reboot_required": any(r["reboot_required"] for r in records),
            "backups": list(tx.backups),
            "run_id": self.host.run_id,
            "failed": summary["error"] > 0,
            # Ansible's --diff: one entry per file, however many controls edited it.
            "diff": [transaction.describe_change(f) for f in tx.files.values() if f.changes_anything()],
        }


class _RecordBuilder:
    def __init__(self, control, finding, tx, waiver):
        self.control, self.finding, self.tx, self.waiver = control, finding, tx, waiver

    def __call__(self, status, changed=False, reason=""):
        finding: Finding = self.finding
        control_id = self.control["id"]
        return results.record(
            self.control,
            status,
            changed=changed,
            reason=reason,
            found=finding.found,
            expected=finding.expected,
            diff=self.tx.diffs.get(control_id, []) if changed else [],
            reboot_required=(finding.reboot_required or self.tx.needs_reboot(control_id)) and status != "waived",
            waiver=self.waiver,
        )


def _waiver_reason(waiver, finding):
    state = "compliant" if finding.compliant else f"not compliant: {finding.reason}"
    return (
        f"waived until {waiver.get('expires')} (approved by {waiver.get('approver')}: "
        f"{waiver.get('justification')}); currently {state}"
    )
