# Copyright: cyberveilig.landingzone maintainers
# License: EUPL-1.2
"""evidence_record: hand a record to the CLI's evidence, on the controller."""

from __future__ import annotations

import json

from ansible.plugins.action import ActionBase
from ansible_collections.cyberveilig.landingzone.plugins.plugin_utils.results_schema import SECTIONS, VERDICTS


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("section", "record", "verdict"))

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        section = self._task.args.get("section")
        record = self._task.args.get("record")
        verdict = self._task.args.get("verdict")
        if section not in SECTIONS:
            return {**result, "failed": True, "msg": f"section: {section!r} is not one of {', '.join(SECTIONS)}"}
        if not isinstance(record, dict):
            return {**result, "failed": True, "msg": "record: must be a mapping of field to value"}
        # The play says what its record amounts to; the report never guesses it from field names.
        if verdict not in VERDICTS:
            return {**result, "failed": True, "msg": f"verdict: {verdict!r} is not one of {', '.join(VERDICTS)}"}
        if "verdict" in record and record["verdict"] != verdict:
            return {
                **result,
                "failed": True,
                "msg": f"record: its field verdict {record['verdict']!r} contradicts the verdict option {verdict!r}",
            }
        try:
            # A record that JSON cannot carry would break results.json later; say so now.
            record = json.loads(json.dumps({**record, "verdict": verdict}))
        except (TypeError, ValueError) as exc:
            return {**result, "failed": True, "msg": f"record: not JSON-serialisable: {exc}"}
        return {
            **result,
            "changed": False,
            "failed": False,
            "landingzone_evidence": {"section": section, "record": record},
        }
