"""A mock Windows host for the windows_controls action plugin: a fake connection and a fake
ansible.windows.win_powershell that answer the rendered script with recorded results.

It is a mock, because no Windows host and no PowerShell runtime exist here. It reads from
the script what it was asked (every Invoke-LzwControl, and whether it carries a Fix block),
answers each control from its recorded state in the result-line format the real script
prints, and remembers what a fix changed, so a second run sees the fixed state. Like the real
module it refuses to run a script in check mode unless the script declares
SupportsShouldProcess. Every module execution is recorded: that count is the number of WinRM
round trips.
"""

from __future__ import annotations

import json
import re
from types import SimpleNamespace
from unittest import mock

from ansible.playbook.play_context import PlayContext
from ansible_collections.cyberveilig.landingzone.plugins.action.windows_controls import ActionModule

CONTROL_CALL = re.compile(
    r"^Invoke-LzwControl -Id '(?P<id>LZW-[A-Z0-9]+-\d{3})'(?: -Mdm '[^']*')? -Check \{\n(?P<body>.*?)^\}$", re.S | re.M
)
MARKER = "LZW-RESULT "


class FakeConnection:
    """What the action plugin asks of a WinRM connection: its transport and resolved options."""

    transport = "winrm"

    def __init__(self, scheme="https", port=5986, auth="kerberos", user="operator@GEMEENTE.BE"):
        self._options = {"scheme": scheme, "port": port, "transport": [auth], "remote_user": user}
        self._shell = SimpleNamespace(tmpdir=None)

    def get_option(self, name):
        return self._options[name]


class FakeWindowsHost:
    """Recorded host state: {control id: answer}. An answer is what the script prints for it."""

    def __init__(self, answers=None, default_found="as expected", language_mode="FullLanguage"):
        self.answers = {key: dict(value) for key, value in (answers or {}).items()}
        self.default_found = default_found
        self.language_mode = language_mode
        self.executions = []

    def constrained_answer(self, script):
        """What a host in ConstrainedLanguage prints: the guard's one line when the script checks the
        mode before anything else, otherwise the .NET failure in every control, as PowerShell does."""
        first_function = script.find("\nfunction ")
        guard = script.find("$ExecutionContext.SessionState.LanguageMode -ne 'FullLanguage'")
        if 0 <= guard < first_function:
            return [f'LZW-HOST {{"language_mode": "{self.language_mode}"}}']
        reason = (
            "check failed: Cannot invoke method. "
            "Method invocation is supported only on core types in this language mode."
        )
        return [
            MARKER + json.dumps({"id": control_id, "state": "error", "fixed": False, "reason": reason})
            for control_id, _ in self.controls_in(script)
        ]

    def controls_in(self, script):
        return [(m.group("id"), "} -Fix {" in m.group("body")) for m in CONTROL_CALL.finditer(script)]

    def answer(self, control_id, has_fix):
        answer = dict(self.answers.get(control_id) or {"state": "compliant", "found": self.default_found})
        record = {"id": control_id, "fixed": False, "fixable": True, "source": "local setting", "reason": ""}
        record.update(answer)
        if has_fix and record["state"] == "noncompliant" and record["fixable"]:
            after = record.pop("after", {"state": "compliant", "found": "as expected"})
            record.update(fixed=True, after=after)
            if after.get("state") == "compliant":
                self.answers[control_id] = {"state": "compliant", "found": after.get("found")}
        return MARKER + json.dumps(record)

    def win_powershell(self, module_args):
        script = module_args["script"]
        if module_args.get("_ansible_check_mode") and "[CmdletBinding(SupportsShouldProcess)]" not in script:
            return {"skipped": True, "changed": False, "msg": "skipped, running in check mode"}
        if self.language_mode != "FullLanguage":
            return {"changed": False, "output": self.constrained_answer(script), "host_out": "", "error": []}
        lines = [self.answer(control_id, has_fix) for control_id, has_fix in self.controls_in(script)]
        return {"changed": any('"fixed": true' in line for line in lines), "output": lines, "host_out": "", "error": []}


def run_action(args, host, connection=None, check_mode=False, task_vars=None):
    """Run the action plugin once against the fake host; returns (result, module executions)."""
    task = mock.MagicMock()
    task.args = dict(args)
    task.async_val = 0
    task.check_mode = check_mode
    task.action = "cyberveilig.landingzone.windows_controls"
    calls = []

    def execute_module(module_name=None, module_args=None, task_vars=None, **_):
        module_args = dict(module_args, _ansible_check_mode=check_mode)
        calls.append((module_name, module_args))
        host.executions.append(module_args)
        return host.win_powershell(module_args)

    action = ActionModule(
        task=task,
        connection=connection or FakeConnection(),
        play_context=PlayContext(),
        loader=mock.MagicMock(),
        templar=mock.MagicMock(),
        shared_loader_obj=mock.MagicMock(),
    )
    with mock.patch.object(action, "_execute_module", side_effect=execute_module):
        result = action.run(task_vars=task_vars or {"inventory_hostname": "gem-vpc-01", "group_names": ["virtual_pcs"]})
    return result, calls
