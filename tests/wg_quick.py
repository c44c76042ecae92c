"""A wg-quick file as the real wg-quick reads it, for tests.

`wg-quick strip` alone proves nothing: it drops a ``PostUp`` line and exits 0. So the file is
read by wg-quick itself (its own script, sourced unchanged in a bash of the test's own, with
``strip``): what it hands to wg (the stripped text) AND what it keeps for itself (addresses,
DNS, MTU, table and the PreUp/PostUp/PreDown/PostDown commands it would run as root). The
``exit`` at the end of wg-quick is caught by a function that prints those variables first.
"""

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

WG_QUICK_LISTS = ("ADDRESSES", "DNS", "DNS_SEARCH", "PRE_UP", "POST_UP", "PRE_DOWN", "POST_DOWN")
WG_QUICK_WORDS = ("MTU", "TABLE", "SAVE_CONFIG")

# Each list as its name, its length and its items, then each word as its name and value, NUL-separated,
# into the file named in $WG_QUICK_DUMP.
_DUMP = r"""
exit() {
    {
        for name in $WG_QUICK_LISTS; do
            local -n list=$name
            printf '%s\0%s\0' "$name" "${#list[@]}"
            [ "${#list[@]}" -eq 0 ] || printf '%s\0' "${list[@]}"
            unset -n list
        done
        for name in $WG_QUICK_WORDS; do printf '%s\0%s\0' "$name" "${!name}"; done
    } > "$WG_QUICK_DUMP"
    builtin exit "$@"
}
source "$WG_QUICK" strip "$1"
"""


def available() -> bool:
    return bool(shutil.which("wg-quick") and shutil.which("bash")) and os.geteuid() == 0


def wg_quick_reads(text: str, interface: str = "wg-export") -> dict:
    """{"wg": [(section or key, value), ...], "wg-quick": {variable: value or list}} of a wg-quick
    file; AssertionError when wg-quick refuses it. A comment line is ("#", its text): wg ignores
    it, but a value that splits one shows as a line more. Blank lines are left out."""
    with tempfile.TemporaryDirectory(prefix="lz-wg-quick-") as directory:
        path = Path(directory, f"{interface}.conf")
        path.write_text(text)
        path.chmod(0o600)
        dump = Path(directory, "dump")
        env = {
            "PATH": os.environ["PATH"],
            "WG_QUICK": shutil.which("wg-quick"),
            "WG_QUICK_DUMP": str(dump),
            "WG_QUICK_LISTS": " ".join(WG_QUICK_LISTS),
            "WG_QUICK_WORDS": " ".join(WG_QUICK_WORDS),
        }
        command = ["bash", "-c", _DUMP, "wg-quick-reads", str(path)]
        result = subprocess.run(command, capture_output=True, text=True, env=env, check=False, timeout=30)
        assert result.returncode == 0, f"wg-quick refused it: {result.stderr.strip()[:400]}"
        fields = dump.read_text().split("\0")[:-1]
    kept, index = {}, 0
    while index < len(fields):
        name = fields[index]
        if name in WG_QUICK_LISTS:
            count = int(fields[index + 1])
            kept[name] = fields[index + 2 : index + 2 + count]
            index += 2 + count
        else:
            kept[name] = fields[index + 1]
            index += 2
    wg = []
    for line in result.stdout.splitlines():
        setting, commented, comment = line.partition("#")
        key, assigned, value = setting.partition("=")
        if key.strip():
            wg.append((key.strip(), value.strip()) if assigned else (key.strip(), ""))
        if commented:
            wg.append(("#", comment))
    return {"wg": wg, "wg-quick": kept}
