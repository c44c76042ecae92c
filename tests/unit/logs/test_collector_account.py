"""The collector's account can only append to the current period, and cannot touch a sealed one.

Tried for real on this machine's kernel, as an unprivileged account (nobody, in the group the
sealer gives write access to), against files the role's sealer prepared and sealed. The
append-only flag needs a kernel and filesystem that keep it and CAP_LINUX_IMMUTABLE for the
sealer; where that is missing (a container), those checks are skipped and the audit's evidence
reports the current period as not append-only.
"""

from __future__ import annotations

import pytest
from ansible_collections.cyberveilig.landingzone.plugins.module_utils import _log_chain
from log_storage import Storage, kernel_keeps_flags


@pytest.fixture
def storage():
    made = Storage()
    made.prepare("gem-app1")
    made.write("gem-app1", "sealed line")
    made.seal()
    made.write("gem-app1", "current line")
    yield made
    made.remove()


def test_prepare_makes_a_sticky_directory_and_a_current_file_of_root(storage):
    directory = storage.root / "gem-app1"
    info = directory.stat()
    assert (info.st_uid, info.st_gid, info.st_mode & 0o7777) == (0, storage.gid, 0o1770)
    info = (directory / _log_chain.CURRENT).stat()
    assert (info.st_uid, info.st_gid, info.st_mode & 0o7777) == (0, storage.gid, 0o620)
    assert storage.prepare("gem-app1") == []  # nothing left to do: idempotent
    assert storage.prepare("gem-app2", check=True) == [
        f"created {storage.root / 'gem-app2'}",
        f"created {storage.root / 'gem-app2' / _log_chain.CURRENT}",
    ]
    assert not (storage.root / "gem-app2").exists()  # check mode only says


def test_the_collector_appends_to_the_current_period(storage):
    result = storage.as_collector("echo appended >> gem-app1/current.log")
    assert result.returncode == 0, result.stderr
    assert (storage.root / "gem-app1" / _log_chain.CURRENT).read_text().endswith("appended\n")


@pytest.mark.parametrize(
    "command",
    [
        "rm -f gem-app1/current.log",
        "mv gem-app1/current.log gem-app1/gone.log",
        "chmod 0666 gem-app1/current.log",
        "rm -f gem-app1/chain.head",
        "echo '{}' > gem-app1/chain.head",
        "rm -f gem-app1/20250301T000000Z.log",
        "mv gem-app1/20250301T000000Z.log gem-app1/x",
        "echo forged >> gem-app1/20250301T000000Z.log",
        ": > gem-app1/20250301T000000Z.log",
    ],
)
def test_the_collector_cannot_remove_or_rewrite_what_it_does_not_own(storage, command):
    before = {path: path.read_bytes() for path in (storage.root / "gem-app1").iterdir()}
    result = storage.as_collector(command)
    assert result.returncode != 0
    assert {path: path.read_bytes() for path in (storage.root / "gem-app1").iterdir()} == before
    assert storage.check("gem-app1")["chain_ok"] is True


@pytest.mark.parametrize("command", [": > gem-app1/current.log", "echo rewritten 1<> gem-app1/current.log"])
def test_the_kernel_keeps_the_collector_from_rewriting_the_current_period(storage, command):
    if not kernel_keeps_flags(storage.root):
        pytest.skip("this kernel or filesystem does not keep the append-only flag (or the sealer lacks the capability)")
    current = storage.root / "gem-app1" / _log_chain.CURRENT
    before = current.read_bytes()
    result = storage.as_collector(command)
    assert result.returncode != 0
    assert current.read_bytes() == before
    assert storage.check("gem-app1")["current_append_only"] is True


def test_a_file_the_collector_plants_is_reported(storage):
    assert storage.as_collector("echo planted > gem-app1/20990101T000000Z.log").returncode == 0
    report = storage.check("gem-app1")
    assert report["chain_ok"] is False
    assert "20990101T000000Z.log is not on the chain from chain.head" in report["problems"]
    assert any(problem.startswith("20990101T000000Z.log is writable") for problem in report["problems"])
