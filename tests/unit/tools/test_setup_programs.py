"""Every program the tests, tools, benchmarks and the CLI run on the controller comes from
setup: from a Debian package that tools/debian-packages.txt (or lab/vm/host-packages.txt) lists,
from a package every Debian system has, or from the virtualenv. A program that only a developer's
machine happened to have would pass here and fail on a fresh machine.

The programs are read from the code itself: the first word of every argv list passed to a
subprocess call (subprocess.run/Popen/check_output, and the project's own run wrappers),
every `shutil.which("...")`, every `Path("/usr/bin/...")`, and the commands of plays that run on
localhost."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
PYTHON_SOURCES = ("src", "tests", "tools", "benchmarks", "molecule")
PLAYBOOK_SOURCES = ("molecule", "playbooks", "src/landingzone/supplier_role/contract_playbooks")
PACKAGE_LISTS = ("tools/debian-packages.txt", "lab/vm/host-packages.txt")
# Call names whose first argument is an argv list: subprocess's own and the project's wrappers.
RUNNERS = {"run", "Popen", "check_output", "check_call", "call", "run_logged", "_run", "run_command"}
# Words that are argv[0] of a call but name no program on the controller: commands the tests
# give to a fake runner, or run inside a container or VM through another program.
NOT_CONTROLLER_PROGRAMS = {"landingzone-no-such-command", "sshd"}
# The first word of a shell task may be a builtin of the shell, not a program.
SHELL_BUILTINS = {"set", "cd", "exec", "echo", "test", "[", "export", "umask", "trap", "kill"}
PROGRAM_DIRECTORIES = ("/usr/bin/", "/usr/sbin/", "/bin/", "/sbin/")


def _first_word(node):
    if isinstance(node, (ast.List, ast.Tuple)) and node.elts:
        first = node.elts[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            return first.value
    return None


def programs_in_python(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        name = getattr(node.func, "attr", getattr(node.func, "id", ""))
        if name == "which" and isinstance(node.args[0], ast.Constant):
            found.add(node.args[0].value)
        elif name == "Path" and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
            if node.args[0].value.startswith(PROGRAM_DIRECTORIES):
                found.add(node.args[0].value)
        elif name in RUNNERS:
            word = _first_word(node.args[0])
            if word == "which" and len(node.args[0].elts) > 1:  # ["which", "nft"]
                word = getattr(node.args[0].elts[1], "value", None)
            if word:
                found.add(word)
    return found


def _task_programs(task: dict) -> set[str]:
    found = set()
    for key in ("ansible.builtin.command", "ansible.builtin.shell", "command", "shell"):
        args = task.get(key)
        if isinstance(args, dict):
            args = args.get("argv") or args.get("cmd")
        if isinstance(args, list) and args:
            args = args[0]
        if isinstance(args, str) and args.strip() and not args.lstrip().startswith("{{"):
            words = args.split()
            if words[0] == "nohup":
                words = words[1:]
            if words and not words[0].startswith("{{") and words[0].rstrip(";") not in SHELL_BUILTINS:
                found.add(words[0])
    for block in ("block", "rescue", "always"):
        for inner in task.get(block) or []:
            found |= _task_programs(inner)
    return found


def programs_in_playbook(path: Path) -> set[str]:
    """Commands of plays on localhost and of tasks delegated to it."""
    try:
        plays = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError:
        return set()
    if not isinstance(plays, list):
        return set()
    found = set()
    for play in plays:
        if not isinstance(play, dict):
            continue
        local_play = play.get("hosts") == "localhost"
        for section in ("pre_tasks", "tasks", "post_tasks", "handlers"):
            for task in play.get(section) or []:
                if isinstance(task, dict) and (local_play or task.get("delegate_to") == "localhost"):
                    found |= _task_programs(task)
    return found


def controller_programs() -> dict[str, set[str]]:
    """{program: files that run it}."""
    found: dict[str, set[str]] = {}
    for base in PYTHON_SOURCES:
        for path in (REPO / base).rglob("*.py"):
            for program in programs_in_python(path):
                found.setdefault(program, set()).add(str(path.relative_to(REPO)))
    for base in PLAYBOOK_SOURCES:
        for path in (REPO / base).rglob("*.yml"):
            for program in programs_in_playbook(path):
                found.setdefault(program, set()).add(str(path.relative_to(REPO)))
    return {name: files for name, files in found.items() if name not in NOT_CONTROLLER_PROGRAMS}


def listed_packages() -> set[str]:
    names = set()
    for listing in PACKAGE_LISTS:
        for line in (REPO / listing).read_text(encoding="utf-8").splitlines():
            names.update(line.split("#", 1)[0].split())
    return names


def _registered_forms(path: str) -> list[str]:
    """`path` as dpkg may have registered it: as given, resolved, with and without /usr."""
    forms = {path, os.path.realpath(path)}
    for form in list(forms):
        forms.add(form[len("/usr") :] if form.startswith("/usr/") else "/usr" + form)
    return sorted(forms)


def owning_packages(paths: list[str]) -> dict[str, str]:
    """{path: the Debian package that installed it}, from one dpkg-query for all of them."""
    # Two paths may share a form (/bin/bash and bash found at /usr/bin/bash): each gets the owner.
    forms = {}
    for path in paths:
        for form in _registered_forms(path):
            forms.setdefault(form, []).append(path)
    done = subprocess.run(["dpkg-query", "-S", *forms], capture_output=True, text=True, check=False)
    owners = {}
    for line in done.stdout.splitlines():
        if line.startswith("diversion by "):  # /bin/sh: "diversion by dash ..." lines, then "dash: /bin/sh"
            continue
        package, _, registered = line.partition(": ")
        for path in forms.get(registered, []):
            owners.setdefault(path, package.split(",")[0].strip())
    return owners


def base_system_packages(packages: set[str]) -> set[str]:
    """Those of `packages` that are essential or required: on every Debian system, fresh or not."""
    done = subprocess.run(
        ["dpkg-query", "-W", "-f=${Package} ${Essential} ${Priority}\n", *packages],
        capture_output=True,
        text=True,
        check=False,
    )
    base = set()
    for line in done.stdout.splitlines():
        name, essential, priority = (line.split() + ["", ""])[:3]
        if essential == "yes" or priority == "required":
            base.add(name)
    return base


def test_the_scan_sees_the_programs_it_must():
    """The reader finds what the suite is known to run, so that an empty scan cannot pass."""
    programs = controller_programs()
    for known in ("podman", "nft", "restic", "ssh-keygen", "openssl", "debootstrap", "wg", "/usr/bin/chromium"):
        assert known in programs, f"{known} was not found by the scan"


@pytest.mark.skipif(shutil.which("dpkg-query") is None, reason="reads Debian's package database")
def test_every_controller_program_comes_from_setup():
    venv_bin = Path(sys.executable).parent
    search_path = f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '')}"
    programs = controller_programs()
    problems = []
    found = {}
    for program, files in sorted(programs.items()):
        where = program if program.startswith("/") else shutil.which(program, path=search_path)
        if where is None:
            problems.append(
                f"{program} (run by {', '.join(sorted(files))}) is not installed: "
                "add its Debian package to tools/debian-packages.txt"
            )
        elif Path(where).parent != venv_bin:
            found[program] = where
    owners = owning_packages(list(found.values()))
    allowed = listed_packages() | base_system_packages(set(owners.values()))
    for program, where in sorted(found.items()):
        used_by = ", ".join(sorted(programs[program]))
        package = owners.get(where)
        if package is None:
            problems.append(
                f"{program} ({where}, run by {used_by}) belongs to no Debian package: setup cannot install it"
            )
        elif package not in allowed:
            problems.append(
                f"{program} comes from {package}, which tools/debian-packages.txt does not list (run by {used_by})"
            )
    assert not problems, "\n".join(problems)
