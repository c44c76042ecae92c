"""sshd_option judges what sshd applies: the real `sshd -T` of the lab image (chrooted into the
mounted image; no container runs), asked for the operator's login, on the files as the engine
stages them. A drop-in read before ours, a Match block anywhere, or sshd refusing the files are
tried here; molecule asks the sshd of a running host."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import yaml
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.access.sshd_values import (
    BadValue,
    canonical,
    seconds,
)
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.runner import CommandResult
from engine_harness import BASE_FILES, BASE_SHADOW, FakeSystem, control
from lockout_harness import arrange, run_kept

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
import role_render  # noqa: E402

CATALOG = Path(role_render.roles_dir(), "linux_baseline", "controls", "ssh.yml")
DROPINS = "/etc/ssh/sshd_config.d"
OURS = f"{DROPINS}/00-landingzone.conf"
OPERATOR = "user=ops,host=10.20.0.9,addr=10.20.0.9,lport=22,laddr=10.20.0.5"
ASKED = f"sshd -T -C {OPERATOR}"


def _catalog():
    """The catalog's sshd_option controls with their values rendered as the role renders them,
    plus the login_group control that AllowGroups needs to keep the operator in."""
    controls = []
    for record in yaml.safe_load(CATALOG.read_text())["ssh"]:
        if record["type"] not in ("sshd_option", "login_group"):
            continue
        params = {
            key: role_render.text("linux_baseline", value) if isinstance(value, str) and "{{" in value else value
            for key, value in record["params"].items()
        }
        controls.append(control(record["type"], params, record["id"]))
    return controls


CONTROLS = _catalog()
SSHD_CONTROLS = [c for c in CONTROLS if c["type"] == "sshd_option"]


def results(report):
    return {result["id"]: result for result in report["results"]}


class LabSshd(FakeSystem):
    """The fake host, but `sshd -t` and `sshd -T` are the lab image's real sshd. sshd needs a host
    key and its privilege separation directory: /run is a tmpfs of the command's own mount
    namespace, and /tmp (where the engine writes the files sshd reads) is this machine's."""

    def __init__(self, root, image_root, host_key):
        super().__init__(root)
        self.image_root, self.host_key = image_root, host_key

    def _sshd(self, args, env, stdin):
        script = (
            'mount --bind /tmp "$0/tmp" && mount -t tmpfs tmpfs "$0/run" && mkdir "$0/run/sshd"'
            ' && exec chroot "$0" /usr/sbin/sshd "$@"'
        )
        argv = ["unshare", "--mount", "--fork", "sh", "-c", script, self.image_root, "-h", self.host_key, *args]
        done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=60)
        return CommandResult(done.returncode, done.stdout, done.stderr)


@pytest.fixture(scope="session")
def host_key(tmp_path_factory):
    key = tmp_path_factory.mktemp("sshd-host-key") / "key"
    assert str(key).startswith(tempfile.gettempdir() + "/") and tempfile.gettempdir() == "/tmp"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    return str(key)


@pytest.fixture
def lab_system(tmp_path, lab_image_root, host_key):
    """A fake stock host whose sshd_config is Debian's own, from the lab image."""
    fake = LabSshd(tmp_path / "root", lab_image_root, host_key)
    for path, text in BASE_FILES.items():
        fake.write(path, text)
    fake.write("/etc/shadow", BASE_SHADOW, 0o640)
    arrange(fake)
    fake.write("/etc/ssh/sshd_config", Path(lab_image_root, "etc/ssh/sshd_config").read_text())
    return fake


@pytest.fixture
def converged(lab_system):
    """The catalog applied once, and a second apply that changes nothing."""
    first, _ = run_kept(lab_system, CONTROLS)
    assert {r["status"] for r in first["results"]} == {"fixed"}, [
        (r["id"], r["reason"]) for r in first["results"] if r["status"] != "fixed"
    ]
    return lab_system


def sshd_dump(system, lines):
    """What the real sshd -T prints for a main file of these lines (no connection given)."""
    path = system.root / "probe.conf"
    path.write_text("\n".join(lines) + "\n")
    done = system.run(["sshd", "-T", "-f", str(path)])
    assert done.ok, done.stderr
    dumped = {}
    for line in done.stdout.splitlines():
        key, _, value = line.partition(" ")
        dumped.setdefault(key, []).append(value)
    return {key: " ".join(values) for key, values in dumped.items()}


@pytest.fixture(params=["bookworm", "trixie"])
def release_sshd(request, tmp_path, host_key):
    """The real sshd of the Debian 12 and of the Debian 13 lab image (OpenSSH 9.2 and 10.0)."""
    fixture = "lab_image_root" if request.param == "bookworm" else "lab_image_root_trixie"
    return LabSshd(tmp_path, request.getfixturevalue(fixture), host_key)


# ---- the normaliser ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [("60", 60), ("1m", 60), ("1m30s", 90), ("2H", 7200), ("1w1d", 691200), ("0", 0)],
)
def test_times_read_as_sshd_reads_them(text, expected):
    assert seconds(text) == expected


@pytest.mark.parametrize("text", ["", "m", "1x", "1.5m", "-1", "1m 30s", "60 s"])
def test_a_time_sshd_would_refuse_is_refused(text):
    with pytest.raises(BadValue):
        seconds(text)


def test_values_compare_in_one_spelling():
    assert canonical("LoginGraceTime", "1m") == canonical("logingracetime", "60") == "60"
    assert canonical("LogLevel", "VERBOSE") == canonical("loglevel", "verbose")
    assert canonical("PermitRootLogin", "without-password") == "prohibit-password"
    assert canonical("Ciphers", "aes256-ctr, AES128-ctr") == "aes256-ctr,aes128-ctr"
    assert canonical("Ciphers", "aes128-ctr,aes256-ctr") != canonical("Ciphers", "aes256-ctr,aes128-ctr")
    # Names and paths keep their case: sshd compares them as they are.
    assert canonical("AllowGroups", "Admins  ops") == "Admins ops" != canonical("AllowGroups", "admins ops")
    assert canonical("Banner", "/etc/Issue.net") == "/etc/Issue.net"


# Each option once per probe (sshd keeps the first value): the catalog's spellings, then others.
SPELLINGS = [
    [(c["params"]["option"], str(c["params"]["value"])) for c in SSHD_CONTROLS],
    [
        ("LoginGraceTime", "1m30s"),
        ("ClientAliveInterval", "1h"),
        ("LogLevel", "verbose"),
        ("PermitRootLogin", "without-password"),
        ("X11Forwarding", "YES"),
        ("AllowGroups", "lz-operators Staff"),
        ("Ciphers", "aes256-ctr,aes128-ctr"),
    ],
    [("LogLevel", "QUIET"), ("ClientAliveInterval", "2m")],
]


@pytest.mark.lab
def test_the_normaliser_agrees_with_the_real_sshd_on_every_catalog_value_and_other_spellings(release_sshd):
    for probe in SPELLINGS:
        dumped = sshd_dump(release_sshd, [f"{option} {value}" for option, value in probe])
        for option, value in probe:
            assert canonical(option, value) == canonical(option, dumped[option.lower()]), (option, value, dumped)
    # A different value stays different once both sides are normalised.
    dumped = sshd_dump(release_sshd, ["LoginGraceTime 2m", "PermitRootLogin yes", "Ciphers aes128-ctr,aes256-ctr"])
    assert canonical("LoginGraceTime", dumped["logingracetime"]) != canonical("LoginGraceTime", "60")
    assert canonical("PermitRootLogin", dumped["permitrootlogin"]) != canonical("PermitRootLogin", "no")
    assert canonical("Ciphers", dumped["ciphers"]) != canonical("Ciphers", "aes256-ctr,aes128-ctr")


# ---- the controls, judged by the real sshd -T ----------------------------------------------


@pytest.mark.lab
def test_every_sshd_control_passes_as_sshd_applies_it_for_the_operator(converged):
    again, _ = run_kept(converged, CONTROLS)
    assert again["changed"] is False
    for record in SSHD_CONTROLS:
        result = results(again)[record["id"]]
        assert result["status"] == "pass", (record["id"], result["reason"])
        found = result["evidence"]["found"]
        assert found["judged_by"] == ASKED, record["id"]
        assert found["applied"] == {OPERATOR: canonical(record["params"]["option"], record["params"]["value"])}
        assert found["undone_by"] == []


@pytest.mark.lab
def test_lines_that_undo_ours_fail_their_control_naming_the_file_and_are_left_alone(converged):
    undoers = {
        # Sorted before ours: sshd keeps the first value it reads, in either syntax.
        f"{DROPINS}/00-early.conf": "MaxAuthTries 10\nMaxSessions=20\n",
        # A Match block for other logins: sshd -T for the operator cannot see it, the files can.
        f"{DROPINS}/99-vendor.conf": "Match Address 192.0.2.0/24\n    PasswordAuthentication yes\n",
        # A Match block for the operator's own login, and one for every login.
        f"{DROPINS}/50-ops.conf": "Match User ops\n    X11Forwarding yes\nMatch all\n    ClientAliveCountMax 10\n",
    }
    neighbours = {
        # Read after ours: the first value wins, so these change nothing.
        f"{DROPINS}/50-cloud-init.conf": "PasswordAuthentication yes\nMaxAuthTries 6\n",
        # A Match block that says the same as ours, spelt otherwise.
        f"{DROPINS}/60-same.conf": "Match Group staff\n    ClientAliveInterval 5m\n    LogLevel verbose\n",
        # A keyword sshd does not take in a Match block: it is read for no login.
        f"{DROPINS}/70-global-only.conf": "Match all\n    LoginGraceTime 2m\n    Ciphers aes128-ctr\n",
    }
    for path, text in {**undoers, **neighbours}.items():
        converged.write(path, text, 0o600)

    predicted, _ = run_kept(converged, CONTROLS, mode="audit", check_mode=True)
    applied, _ = run_kept(converged, CONTROLS)
    for report in (predicted, applied):
        found = results(report)
        wrong = {
            "LZ-SSH-011": (f"{DROPINS}/00-early.conf: MaxAuthTries 10", "10"),
            "LZ-SSH-020": (f"{DROPINS}/00-early.conf: MaxSessions 20", "20"),
            "LZ-SSH-001": (f"{DROPINS}/99-vendor.conf: Match Address 192.0.2.0/24: PasswordAuthentication yes", "no"),
            "LZ-SSH-015": (f"{DROPINS}/50-ops.conf: Match User ops: X11Forwarding yes", "yes"),
            "LZ-SSH-010": (f"{DROPINS}/50-ops.conf: Match all: ClientAliveCountMax 10", "10"),
        }
        for control_id, (named, sshd_says) in wrong.items():
            result = found[control_id]
            assert result["status"] == "fail" and result["changed"] is False, (control_id, result)
            assert named in result["reason"] and f"judged by {ASKED}" in result["reason"], result["reason"]
            assert result["evidence"]["found"]["applied"] == {OPERATOR: sshd_says}
        others = {r["id"]: r["reason"] for r in report["results"] if r["id"] not in wrong and r["status"] != "pass"}
        assert others == {}
    assert applied["changed"] is False
    for path, text in {**undoers, **neighbours}.items():
        assert converged.read(path) == text


@pytest.mark.lab
def test_a_missing_line_of_ours_is_predicted_and_fixed_while_an_undone_one_is_left(converged):
    ours = converged.read(OURS)
    converged.write(OURS, "".join(line for line in ours.splitlines(True) if not line.startswith("MaxAuthTries")))
    converged.write(f"{DROPINS}/00-early.conf", "LogLevel QUIET\n", 0o600)

    predicted, _ = run_kept(converged, CONTROLS, mode="audit", check_mode=True)
    first, _ = run_kept(converged, CONTROLS)
    second, _ = run_kept(converged, CONTROLS)
    changed = {r["id"] for r in predicted["results"] if r["changed"]}
    assert changed == {r["id"] for r in first["results"] if r["changed"]} == {"LZ-SSH-011"}
    assert results(first)["LZ-SSH-011"]["status"] == "fixed"
    assert results(predicted)["LZ-SSH-011"]["evidence"]["found"]["judged_by"].startswith("the files only (")
    assert results(second)["LZ-SSH-011"]["evidence"]["found"]["judged_by"] == ASKED
    assert second["changed"] is False
    for report in (predicted, first, second):
        assert results(report)["LZ-SSH-021"]["status"] == "fail"
        assert f"{DROPINS}/00-early.conf: LogLevel QUIET" in results(report)["LZ-SSH-021"]["reason"]


@pytest.mark.lab
def test_files_sshd_refuses_are_judged_by_the_files_alone_and_say_why(converged):
    converged.write(f"{DROPINS}/00-early.conf", "NoSuchOption yes\nMaxAuthTries 10\n", 0o600)
    report, _ = run_kept(converged, CONTROLS, mode="audit", check_mode=True)
    for record in SSHD_CONTROLS:
        judged_by = results(report)[record["id"]]["evidence"]["found"]["judged_by"]
        assert judged_by.startswith("the files only (sshd -T: ") and "NoSuchOption" in judged_by, judged_by
    result = results(report)["LZ-SSH-011"]
    assert result["status"] == "fail" and f"{DROPINS}/00-early.conf: MaxAuthTries 10" in result["reason"]


# ---- no sshd to ask -------------------------------------------------------------------------


def test_without_sshd_the_files_decide_and_the_result_says_so(system):
    arrange(system)
    max_auth = control("sshd_option", {"option": "MaxAuthTries", "value": 4}, "LZ-SSH-011")
    root_login = control("sshd_option", {"option": "PermitRootLogin", "value": "no"}, "LZ-SSH-005")
    grace = control("sshd_option", {"option": "LoginGraceTime", "value": 60}, "LZ-SSH-012")
    run_kept(system, [max_auth, root_login, grace])
    system.fail["sshd"] = CommandResult(127, "", "sshd: command not found")
    system.write(f"{DROPINS}/00-early.conf", "MaxAuthTries 10\n", 0o600)
    system.write(f"{DROPINS}/99-vendor.conf", "PermitRootLogin yes\nMatch all\n    LoginGraceTime 1m\n", 0o600)

    report, _ = run_kept(system, [max_auth, root_login, grace], mode="audit", check_mode=True)
    found = results(report)
    for result in found.values():
        assert result["evidence"]["found"]["judged_by"] == "the files only (sshd -T: sshd: command not found)"
        assert result["evidence"]["found"]["applied"] is None
    assert found["LZ-SSH-011"]["status"] == "fail"
    assert f"{DROPINS}/00-early.conf: MaxAuthTries 10" in found["LZ-SSH-011"]["reason"]
    # Read after ours (first value wins), and a Match block that says 60 in other words.
    assert found["LZ-SSH-005"]["status"] == "pass"
    assert found["LZ-SSH-012"]["status"] == "pass"
