"""Counts module executions on each target host and writes them as JSON.

A task in a loop counts once per item; actions that run only on the controller
(debug, assert, set_fact, include_vars, meta) do not count.
"""

import json
import os
from collections import Counter

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: count_executions
type: aggregate
short_description: count module executions per host
description: Writes a JSON object of host name to count into the file named by LZ_COUNT_FILE.
"""

CONTROLLER_ONLY = {
    "debug",
    "assert",
    "set_fact",
    "include_vars",
    "meta",
    "fail",
    "include_tasks",
    "import_tasks",
    "include_role",
    "import_role",
    "validate_argument_spec",
}


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "count_executions"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self.counts = Counter()

    def _count(self, result, item=False):
        action = result._task.action.rsplit(".", 1)[-1]
        if action in CONTROLLER_ONLY:
            return
        if not item and result._task.loop:
            return  # the items were counted one by one
        self.counts[result._host.get_name()] += 1

    def v2_runner_on_ok(self, result):
        self._count(result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._count(result)

    def v2_runner_item_on_ok(self, result):
        self._count(result, item=True)

    def v2_runner_item_on_failed(self, result):
        self._count(result, item=True)

    def v2_playbook_on_stats(self, stats):
        path = os.environ.get("LZ_COUNT_FILE")
        if path:
            with open(path, "w", encoding="utf-8") as out:
                json.dump(dict(self.counts), out)
