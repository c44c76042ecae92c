"""Check every control, stage the fixes, commit once, and report one record per control."""

from __future__ import annotations

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls import (
    commit_confirmed,
    locks,
    recovery,
    results,
    transaction,
)
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.access import lockout
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


def _assess(control, host, handlers, fix=True):
    """Check one control and, unless waived (or held back), stage its fix. Returns (finding, error)."""
    handler = handlers[control["type"]]
    host.tx.current = control["id"]
    try:
        finding = handler.check(control["params"], host)
        if fix and not finding.compliant and finding.fixable and _waiver_state(control) != "active":
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
        self.applicable = []
        self.outcome = {}  # control id -> (finding, error)
        self.held_back = {}  # control id -> why its fix would shut a keeper out
        self.warnings = {}  # control id -> accounts it newly shuts out
        self.access_notes = []
        self.confirm = None  # the armed revert of a confirmed commit
        self.not_committed = ""  # why nothing staged was committed
        self.recovered = []  # what this run did about runs that died while committing

    def run(self, controls, mode, checked=False):
        """mode: apply or audit. Check mode on the host makes apply an audit that predicts.

        ``checked``: the controls were checked and normalised on the controller (the action
        plugin), and are run as they are; otherwise they are checked here first.

        An apply holds the host's run lock throughout (a second run stops at once, see
        locks.py), first completes or rolls back a run that died while committing, and
        holds the account files' lock from before it reads them until they are written.
        """
        if not checked:
            controls = validate_controls(controls)
        if mode != "apply" or self.host.check_mode:
            return self._run(controls, mode, committing=False)
        with locks.run_lock(self.host):
            self.recovered = recovery.recover(self.host, self.host.sibling)
            try:
                return self._run(controls, mode, committing=True)
            finally:
                self.host.tx.account_lock.release()

    def _run(self, controls, mode, committing):
        self.applicable = [c for c in controls if self.host.host_kind in c["applies_to"]]
        # Packages first, and installed before anything else is checked: a package's own
        # configuration file must be edited as the package ships it (a file staged before
        # the install would replace it whole), and its groups and units must exist. Its
        # maintainer scripts may add users, so the account files are read only after it.
        for control in self.applicable:
            if control["type"] == "package":
                self.outcome[control["id"]] = self._assess(control)
        if committing:
            install_packages(self.host.tx)
            self.host.tx.account_lock.acquire()
        self._stage()
        self.access_notes = lockout.guard(self)
        if committing:
            try:
                self.confirm = commit_confirmed.commit(self.host)
            except commit_confirmed.ArmError as exc:
                self.not_committed = f"not committed: {exc}"
        records = []
        for control in controls:
            finding, error = self.outcome.get(control["id"], (None, "not_applicable"))
            records.append(self._record(control, finding, error, committing))
        return self._report(records, mode)

    def _stage(self):
        for control in self.applicable:
            if control["type"] != "package":
                self.outcome[control["id"]] = self._assess(control, fix=control["id"] not in self.held_back)

    def hold_back(self, held):
        """Stage everything again without the fixes of `held` ({control id: [why]})."""
        self.held_back.update(held)
        self.host.tx.reset_staging()
        self._stage()

    def _assess(self, control, fix=True):
        finding, error = _assess(control, self.host, self.handlers, fix)
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
        notes = {}
        warnings = self.warnings.get(control["id"], []) + (finding.warnings if finding else [])
        if warnings:
            notes["warnings"] = warnings
        if control["id"] in self.held_back:
            notes["held_back"] = self.held_back[control["id"]]
        elif finding.held_back:
            notes["held_back"] = finding.held_back
        build = _RecordBuilder(control, finding, self.host.tx, waiver_info, notes)
        if state == "active":
            return build("waived", reason=_waiver_reason(waiver, finding))
        expired = f" (waiver expired on {waiver.get('expires')})" if state == "expired" else ""
        if control["id"] in self.held_back:
            why = "; ".join(self.held_back[control["id"]])
            return build("fail", reason=f"held back, not committed: it would shut {why}{expired}")
        touched = self.host.tx.touched(control["id"]) or control["id"] in self.predicted
        if touched and self.not_committed:
            return build("error", reason=self.not_committed)
        if finding.compliant and not finding.live_reason:
            return build("pass", changed=False)
        if finding.held_back:
            held = f"{finding.reason}; held back: {'; '.join(finding.held_back)}{expired}"
            problems = self.host.tx.errors_for(control["id"]) if committing else []
            return build("error" if problems else "fail", changed=touched, reason="; ".join(problems) or held)
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
        tx, access = self.host.tx, self.host.access
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
            "failed": summary["error"] > 0 or bool(tx.journal_error),
            "access": {
                "kept": [{"account": k.name, "as": k.why, "keeps": list(k.paths)} for k in access.keepers()]
                if access
                else [],
                "held_back": self.held_back,
                "warnings": self.warnings,
                "notes": self.access_notes,
            },
            "commit_confirmed": self.confirm,
            "recovered": self.recovered,
            # A full disk kept the rollback record from being written: the files it names stayed old.
            "rollback_record_error": tx.journal_error,
            # Ansible's --diff: one entry per file, however many controls edited it.
            "diff": [transaction.describe_change(f) for f in tx.files.values() if f.changes_anything()],
        }


class _RecordBuilder:
    def __init__(self, control, finding, tx, waiver, notes):
        self.control, self.finding, self.tx, self.waiver, self.notes = control, finding, tx, waiver, notes

    def __call__(self, status, changed=False, reason=""):
        finding: Finding = self.finding
        control_id = self.control["id"]
        if self.notes.get("warnings"):
            # In the reason too, where a report reader looks; the control applied all the same.
            reason = "; ".join(filter(None, [reason, "warning: " + "; ".join(self.notes["warnings"])]))
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
            notes=self.notes,
        )


def _waiver_reason(waiver, finding):
    state = "compliant" if finding.compliant else f"not compliant: {finding.reason}"
    return (
        f"waived until {waiver.get('expires')} (approved by {waiver.get('approver')}: "
        f"{waiver.get('justification')}); currently {state}"
    )
