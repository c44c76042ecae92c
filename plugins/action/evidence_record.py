# Copyright: cyberveilig.landingzone maintainers
# License: EUPL-1.2
"""evidence_record: hand a record to the CLI's evidence, on the controller."""

from __future__ import annotations

import json

from ansible.plugins.action import ActionBase

SECTIONS = ("backup", "drill", "vpn")


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("section", "record"))

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        section = self._task.args.get("section")
        record = self._task.args.get("record")
        if section not in SECTIONS:
            return {**result, "failed": True, "msg": f"section: {section!r} is not one of {', '.join(SECTIONS)}"}
        if not isinstance(record, dict):
            return {**result, "failed": True, "msg": "record: must be a mapping of field to value"}
        try:
            # A record that JSON cannot carry would break results.json later; say so now.
            record = json.loads(json.dumps(record))
        except (TypeError, ValueError) as exc:
            return {**result, "failed": True, "msg": f"record: not JSON-serialisable: {exc}"}
        return {
            **result,
            "changed": False,
            "failed": False,
            "landingzone_evidence": {"section": section, "record": record},
        }
