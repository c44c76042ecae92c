"""A copy of the demo lab with its offsite copy on, brought to the worst case: backed up, copied
offsite, changed after a chosen time (backed up and copied again, and the bucket's current
objects tampered with the backup server's own keys), and its backup server destroyed. What a
drill from the offsite copy alone then starts from."""

import base64
import datetime
import hashlib
import json
import subprocess
import time
from pathlib import Path

import boto3
import yaml
from ansible.parsing.vault import VaultLib, VaultSecret
from demo_copy import copy_of_demo
from lab_cli import BIN, ENV, LAB_VAULT_PASSWORD, ROOT, lab_playbooks, landingzone, podman

OFFSITE_UNIT = "landingzone-backup-offsite.service"


def vault_value(path: Path, variable: str, key: str) -> str:
    """One value of a mapping in the demo's group_vars, decrypted with the lab's vault password."""

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_constructor("!vault", lambda loader, node: VaultLib(
        [("default", VaultSecret(LAB_VAULT_PASSWORD.read_bytes().strip()))]
    ).decrypt(loader.construct_scalar(node).encode()).decode())  # fmt: skip
    return yaml.load(path.read_text(), Loader=Loader)[variable][key]  # noqa: S506 - a SafeLoader with !vault


class OffsiteLab:
    """A demo copy named ``municipality`` on 10.231.<octet>.0/24, in ``fleet``."""

    def __init__(self, fleet: Path, municipality: str, octet: int):
        self.fleet = fleet
        self.name = municipality
        self.inventory = fleet / municipality
        copy_of_demo(fleet, municipality, octet)
        self.card_vars = fleet / f"{municipality}-card-vars.yml"
        self.endpoint = f"http://10.231.{octet}.51:9000"
        self.bucket = "demo-offsite-backup"
        self.backup_server = f"{municipality}-backup1"
        self.app = f"{municipality}-app1"

    def up(self) -> str:
        started = landingzone(self.fleet, "lab", "up", self.name)
        assert started.returncode == 0, started.stdout + started.stderr
        exported = landingzone(self.fleet, "--vault-password-file", str(LAB_VAULT_PASSWORD), "card-vars", self.name)
        assert exported.returncode == 0, exported.stderr
        self.card_vars.write_text(exported.stdout)
        return started.stdout

    def down(self) -> None:
        landingzone(self.fleet, "lab", "down", self.name)

    def playbook(self, limit: str, extra_vars: dict, *playbooks: str) -> None:
        lab_playbooks(self.inventory, self.card_vars, limit, extra_vars, *playbooks, timeout=1200)

    def module(self, host: str, module: str, arguments: dict) -> dict:
        """One module of the collection on a lab host, its arguments templated with the inventory's
        variables (the vault's values among them): its result."""
        done = subprocess.run(
            [
                BIN / "ansible", "-i", str(self.inventory / "hosts.yml"),
                "--vault-password-file", str(LAB_VAULT_PASSWORD),
                # The inventory finds the lab's keys beside the playbooks (lab_state_dir).
                "--playbook-dir", str(ROOT / "playbooks"),
                "--become", host, "-m", f"cyberveilig.landingzone.{module}", "-a", json.dumps(arguments),
            ],
            # Only the JSON result on stdout: no timing callback of the checkout's ansible.cfg before it.
            cwd=ROOT, env={**ENV, "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1", "ANSIBLE_STDOUT_CALLBACK": "json",
                           "ANSIBLE_CALLBACKS_ENABLED": "ansible.builtin.json"},
            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=600, check=False,
        )  # fmt: skip
        assert done.stdout.startswith("{"), done.stdout[-3000:] + done.stderr[-2000:]
        return json.loads(done.stdout)["plays"][0]["tasks"][0]["hosts"][host]

    def copy_offsite(self) -> None:
        """The backup server's offsite job, once, as its timer would start it."""
        podman("exec", self.backup_server, "systemctl", "start", OFFSITE_UNIT)
        result = podman("exec", self.backup_server, "systemctl", "show", "-P", "Result", OFFSITE_UNIT).strip()
        journal = podman("exec", self.backup_server, "journalctl", "-u", OFFSITE_UNIT, "-n", "30", "--no-pager")
        assert result == "success", journal

    def s3(self, who: str):
        """A client of the bucket with the vault's keys of the writer or of the recovery credential."""
        group_vars = self.inventory / "group_vars"
        path, variable = {
            "writer": (group_vars / "backup_servers" / "backup_server.yml", "landingzone_offsite_writer"),
            "recovery": (group_vars / "all" / "vault.yml", "landingzone_offsite_recovery"),
        }[who]
        return boto3.session.Session().client(
            "s3",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id=vault_value(path, variable, "access_key_id"),
            aws_secret_access_key=vault_value(path, variable, "secret_access_key"),
        )

    def repositories(self) -> set[str]:
        """The clients whose restic repository (its config object) the bucket holds, as the
        recovery credential sees it."""
        listing = self.s3("recovery").list_objects_v2(Bucket=self.bucket)
        return {item["Key"].split("/")[0] for item in listing.get("Contents", []) if item["Key"].endswith("/config")}

    def tamper(self, key: str) -> None:
        """What ransomware holding the backup server's keys can do: overwrite a current object."""
        junk = b"encrypted by ransomware\n"
        md5 = base64.b64encode(hashlib.md5(junk).digest()).decode()  # noqa: S324 - S3's Content-MD5
        self.s3("writer").put_object(Bucket=self.bucket, Key=key, Body=junk, ContentMD5=md5)

    def destroy_backup_server(self) -> None:
        podman("rm", "--force", "--time", "5", self.backup_server)
        assert podman("ps", "-a", "-q", "--filter", f"name=^{self.backup_server}$") == ""

    def drill(self, *options: str):
        """`landingzone drill` of this municipality (``--service S`` or ``--all``, and the source's options)."""
        result = landingzone(
            self.fleet, "--json", "--vault-password-file", str(LAB_VAULT_PASSWORD), "drill", self.name, *options,
            timeout=1800,
        )  # fmt: skip
        assert result.stdout.startswith("{"), result.stdout[-3000:] + result.stderr[-3000:]
        return result, json.loads(result.stdout)


def a_moment_between() -> datetime.datetime:
    """A time strictly after what was done and before what follows: object versions have whole seconds."""
    time.sleep(1.1)
    moment = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    time.sleep(1.1)
    return moment


def files_bytes(host: str, directory: str) -> int:
    """The size of the regular files under a directory of a lab host."""
    sizes = podman("exec", host, "find", directory, "-type", "f", "-printf", "%s\n").split()
    return sum(int(size) for size in sizes)
