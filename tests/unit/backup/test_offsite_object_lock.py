"""The offsite copy nobody can delete, against moto's S3 server with its IAM checks on.

playbooks/offsite_bucket.yml makes the bucket (versioned, Object Lock in compliance mode, noncurrent
versions expiring) and gives the backup server's keys (IAM user "writer") and the recovery
credential ("recovery") their policies. The keeper's offsite copy then writes real restic data into
it with the writer's keys; the writer's keys try to erase it; and the history, read as of a time
before that, restores byte for byte with the recovery credential.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import subprocess
import sys
import time

import botocore.config
import pytest
from botocore.exceptions import ClientError
from keeper_harness import BackupServer
from restic_harness import PASSWORD, REPO, restic, run_module
from s3_harness import S3Server
from test_keeper_attacks import CLIENTS, write_data

BUCKET = "lz-locked"
PLAYBOOK = REPO / "playbooks" / "offsite_bucket.yml"


def ansible_playbook() -> str:
    """The virtualenv's, beside this interpreter."""
    return os.path.join(os.path.dirname(sys.executable), "ansible-playbook")


def run_playbook(s3, workdir):
    extra = {
        "landingzone_backup_offsite": {
            "enabled": True,
            "type": "s3",
            "endpoint": s3.endpoint,
            "bucket": BUCKET,
            "lock_days": 1,
            "writer_user": "writer",
            "recovery_user": "recovery",
            "iam_endpoint": s3.endpoint,
        },
        "landingzone_offsite_admin": {"access_key_id": s3.keys["admin"][0], "secret_access_key": s3.keys["admin"][1]},
    }
    (workdir / "offsite-vars.json").write_text(json.dumps(extra))
    # Only the JSON callback (the checkout's ansible.cfg adds a timing one, which prints too); no AWS_*
    # of this machine's environment reaches boto3.
    (workdir / "empty.cfg").write_text("")
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "ANSIBLE_"))}
    env.update(
        ANSIBLE_CONFIG=str(workdir / "empty.cfg"),
        ANSIBLE_COLLECTIONS_PATH=str(REPO / "collections"),
        ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json",
        ANSIBLE_LOAD_CALLBACK_PLUGINS="1",
    )
    done = subprocess.run(
        [ansible_playbook(), "-i", "localhost,", str(PLAYBOOK), "-e", f"@{workdir / 'offsite-vars.json'}"],
        cwd=REPO, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    report = json.loads(done.stdout)
    return [task["task"]["name"] for task in report["plays"][0]["tasks"] if task["hosts"]["localhost"].get("changed")]


@pytest.fixture(scope="module")
def offsite(tmp_path_factory, template_repository):
    """The locked bucket, and one client's repository copied into it by the keeper with the writer's keys."""
    workdir = tmp_path_factory.mktemp("offsite")
    s3 = S3Server(workdir)
    try:
        first_run = run_playbook(s3, workdir)
        second_run = run_playbook(s3, workdir)
        server = BackupServer(workdir / "server", CLIENTS, template_repository)
        data = workdir / "data"
        contents = []
        for generation in range(2):
            contents.append(write_data(data, generation))
            restic(server.root / "app1", "backup", "--host", "app1", str(data))
        writer = {"access_key_id": s3.keys["writer"][0], "secret_access_key": s3.keys["writer"][1]}
        (workdir / "offsite-keys.json").write_text(json.dumps(writer))
        server.configure(
            offsite={
                "enabled": True,
                "repository_prefix": f"s3:{s3.endpoint}/{BUCKET}",
                "region": "us-east-1",
                "credentials_file": str(workdir / "offsite-keys.json"),
            },
            clients=["app1"],
        )
        aws = {"AWS_ACCESS_KEY_ID": writer["access_key_id"], "AWS_SECRET_ACCESS_KEY": writer["secret_access_key"]}
        made, _ = run_module(
            "restic_repository",
            repository=f"s3:{s3.endpoint}/{BUCKET}/app1",
            password=PASSWORD,
            environment=aws,
            init_from_repository=str(server.root / "app1"),
        )
        assert made["failed"] is False and made["initialised"] is True, made
        copied = server.keeper("offsite")
        # The versions' times have whole seconds: a time strictly after the copy and before anything else.
        time.sleep(1.1)
        copied_at = datetime.datetime.now(datetime.UTC)
        time.sleep(1.1)
        yield {
            "copied_at": copied_at,
            "s3": s3, "server": server, "data": data, "contents": contents, "copied": copied,
            "first_run": first_run, "second_run": second_run, "workdir": workdir,
        }  # fmt: skip
    finally:
        s3.stop()


def versions(s3):
    """{(key, version id): bytes} of every object version in the bucket, read by the administrator."""
    admin = s3.client("s3", "admin")
    found = {}
    for version in admin.list_object_versions(Bucket=BUCKET).get("Versions", []):
        body = admin.get_object(Bucket=BUCKET, Key=version["Key"], VersionId=version["VersionId"])["Body"].read()
        found[(version["Key"], version["VersionId"])] = body
    return found


def denied(call, **arguments):
    with pytest.raises(ClientError) as caught:
        call(**arguments)
    return caught.value.response["Error"]["Code"]


# ---- the bucket ----------------------------------------------------------------------------------------
def test_the_bucket_is_versioned_and_locked_in_compliance_mode_and_expires_old_versions(offsite):
    admin = offsite["s3"].client("s3", "admin")
    lock = admin.get_object_lock_configuration(Bucket=BUCKET)["ObjectLockConfiguration"]
    assert lock["ObjectLockEnabled"] == "Enabled" and lock["Rule"]["DefaultRetention"]["Mode"] == "COMPLIANCE"
    assert lock["Rule"]["DefaultRetention"]["Days"] == 1
    assert admin.get_bucket_versioning(Bucket=BUCKET)["Status"] == "Enabled"
    (rule,) = admin.get_bucket_lifecycle_configuration(Bucket=BUCKET)["Rules"]
    assert rule["NoncurrentVersionExpiration"]["NoncurrentDays"] == 1 and rule["Status"] == "Enabled"
    # Run again, the playbook changes nothing but the bucket task, which moto alone reports
    # changed (it answers the default retention with "Years": 0, which AWS leaves out).
    assert len(offsite["first_run"]) == 3
    assert offsite["second_run"] in (
        [],
        ["The bucket, versioned, with Object Lock and a default retention in compliance mode"],
    )


def test_restic_sends_a_content_md5_so_its_uploads_land_in_the_locked_bucket(offsite):
    assert "copied to s3:" in offsite["copied"].stdout and "with its arrival index" in offsite["copied"].stdout
    keys = {key for key, _ in versions(offsite["s3"])}
    assert {"app1/config"} <= keys and any(k.startswith("app1/data/") for k in keys)
    # The check is real: an upload without Content-MD5 or a checksum is refused by a locked bucket.
    bare = offsite["s3"].client("s3", "admin", botocore.config.Config(request_checksum_calculation="when_required"))
    assert denied(bare.put_object, Bucket=BUCKET, Key="probe", Body=b"x") == "MissingUploadObjectWithObjectLockHeaders"


# ---- the backup server's keys ------------------------------------------------------------------------------
def test_the_servers_keys_cannot_delete_overwrite_or_unlock_a_version(offsite):
    s3 = offsite["s3"]
    before = versions(s3)
    writer = s3.client("s3", "writer")
    (key, version_id) = next(k for k in before if k[0].startswith("app1/data/"))
    assert denied(writer.delete_object, Bucket=BUCKET, Key=key, VersionId=version_id) == "AccessDenied"
    # Not tried here: a change of one version's retention. moto takes it for a PutObject and does not
    # refuse to weaken a compliance lock, which S3 refuses whatever the policy says (and the writer's
    # policy denies s3:PutObjectRetention besides).
    weaker = {"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}}}
    assert denied(writer.put_object_lock_configuration, Bucket=BUCKET, ObjectLockConfiguration=weaker) == "AccessDenied"
    assert denied(writer.put_bucket_versioning, Bucket=BUCKET, VersioningConfiguration={"Status": "Suspended"})
    assert denied(
        writer.put_bucket_policy, Bucket=BUCKET, Policy=json.dumps({"Version": "2012-10-17", "Statement": []})
    )
    expire_all = {"Rules": [{"ID": "x", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 1}}]}
    assert denied(writer.put_bucket_lifecycle_configuration, Bucket=BUCKET, LifecycleConfiguration=expire_all)
    # An overwrite is a new version: the locked one stays, byte for byte.
    writer.put_object(Bucket=BUCKET, Key=key, Body=b"encrypted by ransomware")
    assert versions(s3)[(key, version_id)] == before[(key, version_id)]
    # A bulk delete leaves every version in place.
    answer = writer.delete_objects(Bucket=BUCKET, Delete={"Objects": [{"Key": k, "VersionId": v} for k, v in before]})
    assert not answer.get("Deleted") and len(answer["Errors"]) == len(before)
    assert {k: v for k, v in versions(s3).items() if k in before} == before


def test_even_the_administrator_cannot_delete_a_locked_version(offsite):
    """The lock itself holds, not only the writer's policy: compliance mode binds every account."""
    s3 = offsite["s3"]
    (key, version_id) = next(k for k in versions(s3) if k[0] == "app1/config")
    admin = s3.client("s3", "admin")
    assert denied(admin.delete_object, Bucket=BUCKET, Key=key, VersionId=version_id) == "AccessDenied"


def test_the_recovery_credential_reads_every_version_and_writes_nothing(offsite):
    s3 = offsite["s3"]
    recovery = s3.client("s3", "recovery")
    assert recovery.list_object_versions(Bucket=BUCKET)["Versions"]
    assert denied(recovery.put_object, Bucket=BUCKET, Key="app1/evil", Body=b"x") == "AccessDenied"
    stranger = s3.client("s3", "other")
    assert denied(stranger.list_objects_v2, Bucket=BUCKET) == "AccessDenied"


# ---- ransomware with the server's keys, and the restore as of before it ---------------------------------------
def test_after_ransomware_with_the_servers_keys_the_history_as_of_before_restores_byte_for_byte(offsite):
    s3, workdir = offsite["s3"], offsite["workdir"]
    # Before this attack, and before the overwrite and bulk delete tried above.
    before_attack = offsite["copied_at"]
    writer = s3.client("s3", "writer")
    # Everything those keys can reach: every object overwritten, then deleted where it may be.
    for page in writer.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
        for item in page.get("Contents", []):
            writer.put_object(Bucket=BUCKET, Key=item["Key"], Body=b"encrypted by ransomware")
            with contextlib.suppress(ClientError):
                writer.delete_object(Bucket=BUCKET, Key=item["Key"])
    ruined = subprocess.run(
        ["restic", "--no-cache", "-r", f"s3:{s3.endpoint}/{BUCKET}/app1", "snapshots"],
        env={"PATH": "/usr/bin:/bin", "HOME": str(workdir), "RESTIC_PASSWORD": PASSWORD,
             "AWS_ACCESS_KEY_ID": s3.keys["writer"][0], "AWS_SECRET_ACCESS_KEY": s3.keys["writer"][1]},
        capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120, check=False,
    )  # fmt: skip
    assert ruined.returncode != 0 and "Fatal" in ruined.stderr
    recovered = workdir / "recovered"
    copied, raw = run_module(
        "restic_offsite_as_of",
        endpoint=s3.endpoint,
        bucket=BUCKET,
        client="app1",
        access_key_id=s3.keys["recovery"][0],
        secret_access_key=s3.keys["recovery"][1],
        as_of=before_attack.isoformat(),
        dest=str(recovered),
    )
    assert copied["failed"] is False and copied["changed"] is True, copied
    assert s3.keys["recovery"][1] not in raw
    listed = json.loads(restic(recovered, "snapshots", "--json").stdout)
    genuine = sorted((s for s in listed if s["hostname"] == "app1"), key=lambda s: s["time"])
    assert len(genuine) == len(offsite["contents"])
    for snapshot, expected in zip(genuine, offsite["contents"], strict=True):
        target = workdir / "restored" / snapshot["short_id"]
        restic(recovered, "restore", snapshot["id"], "--target", str(target))
        root = target / offsite["data"].relative_to("/")
        found = {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}
        assert found == expected
    # The arrival index came back with them, naming the server's own snapshots as the copies' originals.
    index_path = offsite["server"].index_dir / "app1.json"
    dumped = json.loads(
        restic(recovered, "dump", "latest", "--host", "landingzone-arrival-index", str(index_path)).stdout
    )
    assert {s["original"] for s in genuine} <= set(dumped["snapshots"])


def test_the_copy_as_of_a_time_refuses_what_it_cannot_do_cleanly(offsite, tmp_path):
    s3 = offsite["s3"]
    common = dict(
        endpoint=s3.endpoint, bucket=BUCKET, access_key_id=s3.keys["recovery"][0],
        secret_access_key=s3.keys["recovery"][1], dest=str(tmp_path / "x"),
    )  # fmt: skip
    naive, _ = run_module("restic_offsite_as_of", client="app1", as_of="2026-01-01T00:00:00", **common)
    assert naive["failed"] is True and "no time zone" in naive["msg"]
    escape, _ = run_module("restic_offsite_as_of", client="../app1", as_of="2026-01-01T00:00:00Z", **common)
    assert escape["failed"] is True and "client" in escape["msg"]
    too_early, _ = run_module("restic_offsite_as_of", client="app1", as_of="2001-01-01T00:00:00Z", **common)
    assert too_early["failed"] is True and "held no restic repository" in too_early["msg"]
    predicted, _ = run_module(
        "restic_offsite_as_of", check_mode=True, client="app1", as_of="2099-01-01T00:00:00Z", **common
    )
    assert predicted["changed"] is True and predicted["objects"] > 0 and not (tmp_path / "x").exists()
