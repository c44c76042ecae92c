"""Filters of the backup roles.

The documentation of each filter lives next to this file (``<filter>.yml``).
"""

from __future__ import annotations

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError


def backup_dump_file(database, directory):
    """The file the backup agent dumps a database to: ``<directory>/<engine>-<name>.sql``.

    The agent (roles/backup_agent/files/landingzone-backup) runs on the host and imports nothing
    from the collection, so it names its dumps itself; a unit test holds the two to one name.
    """
    if not isinstance(database, Mapping) or not database.get("engine") or not database.get("name"):
        raise AnsibleFilterError(f"backup_dump_file: expected a database as {{engine, name}}, got {database!r}")
    return f"{str(directory).rstrip('/')}/{database['engine']}-{database['name']}.sql"


# What the backup server's offsite copy does in the bucket: restic copy lists, reads and writes
# objects, and takes and removes its lock under <client>/locks/. Some S3 implementations name
# the bucket check HeadBucket where AWS asks ListBucket for it: both are granted.
_WRITER_BUCKET_ACTIONS = [
    "s3:ListBucket",
    "s3:HeadBucket",
    "s3:GetBucketLocation",
    "s3:GetBucketObjectLockConfiguration",
]
_WRITER_OBJECT_ACTIONS = ["s3:GetObject", "s3:PutObject"]
# Never, whatever else a provider's account may allow: the lock, the versions, the rules.
_WRITER_DENIED = [
    "s3:DeleteObjectVersion",
    "s3:BypassGovernanceRetention",
    "s3:PutObjectRetention",
    "s3:PutObjectLegalHold",
    "s3:PutBucketObjectLockConfiguration",
    "s3:PutBucketVersioning",
    "s3:PutLifecycleConfiguration",
    "s3:PutBucketPolicy",
    "s3:DeleteBucketPolicy",
    "s3:DeleteBucket",
]
_RECOVERY_BUCKET_ACTIONS = ["s3:ListBucket", "s3:ListBucketVersions", "s3:HeadBucket", "s3:GetBucketLocation"]
_RECOVERY_OBJECT_ACTIONS = ["s3:GetObject", "s3:GetObjectVersion"]


def _bucket(bucket, filter_name):
    if not isinstance(bucket, str) or not bucket or "/" in bucket or "*" in bucket:
        raise AnsibleFilterError(f"{filter_name}: expected an S3 bucket name, got {bucket!r}")
    return f"arn:aws:s3:::{bucket}"


def offsite_writer_policy(bucket):
    """The IAM policy of the backup server's offsite keys: put objects, delete only under
    ``*/locks/*``, and never touch a version, a retention, the lock, the lifecycle or the policy."""
    arn = _bucket(bucket, "offsite_writer_policy")
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "ListTheBucket", "Effect": "Allow", "Action": _WRITER_BUCKET_ACTIONS, "Resource": arn},
            {"Sid": "ReadAndAddObjects", "Effect": "Allow", "Action": _WRITER_OBJECT_ACTIONS, "Resource": f"{arn}/*"},
            {"Sid": "RemoveOwnLocks", "Effect": "Allow", "Action": ["s3:DeleteObject"], "Resource": f"{arn}/*/locks/*"},
            {"Sid": "NeverTheHistory", "Effect": "Deny", "Action": _WRITER_DENIED, "Resource": [arn, f"{arn}/*"]},
        ],
    }


def offsite_recovery_policy(bucket):
    """The IAM policy of the recovery credential, which the backup server never holds: read every
    version of every object, change nothing."""
    arn = _bucket(bucket, "offsite_recovery_policy")
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "ListEveryVersion", "Effect": "Allow", "Action": _RECOVERY_BUCKET_ACTIONS, "Resource": arn},
            {"Sid": "ReadEveryVersion", "Effect": "Allow", "Action": _RECOVERY_OBJECT_ACTIONS, "Resource": f"{arn}/*"},
        ],
    }


class FilterModule:
    """Backup filters of cyberveilig.landingzone."""

    def filters(self):
        return {
            "backup_dump_file": backup_dump_file,
            "offsite_writer_policy": offsite_writer_policy,
            "offsite_recovery_policy": offsite_recovery_policy,
        }
