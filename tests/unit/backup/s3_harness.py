"""moto's S3 server on loopback with its IAM checks on, for the offsite tests.

moto checks a request against the IAM policies of the access key that signed it only once
INITIAL_NO_AUTH_ACTION_COUNT requests have passed. It starts with that count out of reach, so
that the setup (the IAM users, their keys, the administrator's policy) can be done, then sets it
to 0 through its own API: from then on every request is an IAM user's, held to its policies.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from keeper_harness import free_port

MOTO = Path(sys.executable).with_name("moto_server")
USERS = ("admin", "writer", "recovery", "other")
ADMIN_POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def clean_environment(**extra) -> dict:
    """No CA bundle or AWS key of the caller's environment reaches boto3, rclone or restic."""
    return {"PATH": "/usr/bin:/bin", "HOME": os.environ.get("HOME", "/root"), **extra}


class S3Server:
    def __init__(self, workdir: Path):
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.log = open(workdir / "moto.log", "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [str(MOTO), "-H", "127.0.0.1", "-p", str(self.port)],
            env=clean_environment(INITIAL_NO_AUTH_ACTION_COUNT="1000000"),
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(self.endpoint + "/moto-api/", timeout=1).close()
                break
            except OSError:
                assert self.process.poll() is None and time.monotonic() < deadline, (workdir / "moto.log").read_text()
                time.sleep(0.2)
        self.keys = {}
        iam = self.client("iam", ("unauthenticated", "setup"))
        for user in USERS:
            iam.create_user(UserName=user)
            key = iam.create_access_key(UserName=user)["AccessKey"]
            self.keys[user] = (key["AccessKeyId"], key["SecretAccessKey"])
        iam.put_user_policy(UserName="admin", PolicyName="everything", PolicyDocument=json.dumps(ADMIN_POLICY))
        self.checks_on()

    def checks_on(self):
        # As text: a form body would never reach moto's handler.
        request = urllib.request.Request(
            self.endpoint + "/moto-api/reset-auth", data=b"0", method="POST", headers={"Content-Type": "text/plain"}
        )
        urllib.request.urlopen(request, timeout=10).close()

    def client(self, service, user="admin", config=None):
        import boto3  # the dev dependencies' (moto's); only these tests and the bucket playbook need it

        key_id, secret = self.keys[user] if isinstance(user, str) else user
        return boto3.session.Session().client(
            service,
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id=key_id,
            aws_secret_access_key=secret,
            config=config,
        )

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=20)
        self.log.close()
