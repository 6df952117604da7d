"""The EC2 node bootstrap, for real: the script an instance runs, in a scratch root on this machine.

Against the emulator's SSM, Secrets Manager and S3 and a real PostgreSQL: the node installs exactly
the locked packages from the S3 wheelhouse with no package index reachable; with real Airflow it
migrates the database through the Run Command path, its components come up healthy, and a changed
setting reaches the running node (``apply``, as cfn-hup runs it) and restarts only what it concerns.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from airhost.config.ec2 import resolved_groups
from airhost.config.loader import validate_project
from airhost.render.ec2 import node
from tests.emulator.ec2_node import (
    Postgres, ScratchNode, free_port, health, healthy, lock_digest, upload_wheelhouse, wheel,
)

pytestmark = pytest.mark.emulator

AIRFLOW = "3.3.2"
BUCKET_LOGS, BUCKET_DAGS = "hosts-logs", "hosts-dags"


def environment(executor: str = "local"):
    project = validate_project({"project": "hosts", "environments": {"node": {
        "target": "ec2", "region": "eu-west-1",
        "airflow": {"version": AIRFLOW, "python": "3.12", "executor": executor}}}},
        {}, root=None, source="test")
    return project.environment("node")


def prepare(emulator, tmp_path, *, wheelhouse: str, site=None) -> ScratchNode:
    """The node's AWS side (settings, secrets, buckets) and its user data files."""
    env = environment()
    (group,) = resolved_groups(env)
    scratch = ScratchNode(tmp_path / "node", env, group, emulator.url)
    s3, secrets = scratch.client("s3"), scratch.client("secretsmanager")
    for bucket in (BUCKET_LOGS, BUCKET_DAGS):
        try:
            s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        except s3.exceptions.BucketAlreadyOwnedByYou:
            pass
    tokens = {"AWS::Region": "eu-west-1", "AWS::StackName": "hosts-node-compute",
              "LogsBucket": BUCKET_LOGS, "DagsBucket": BUCKET_DAGS, "Wheelhouse": wheelhouse}
    scratch.tokens = tokens  # type: ignore[attr-defined]
    scratch.write_user_data_files(tokens)
    config_path = scratch.root / "etc/airhost/node.json"
    config = json.loads(config_path.read_text())
    config["python"] = sys.executable  # this machine's Python stands in for the AMI's python3.12
    config_path.write_text(json.dumps(config))
    return scratch


def put_settings(scratch: ScratchNode, site, secrets: dict[str, str]) -> None:
    """The settings parameter as the compute stack writes it (Fn::Sub filled in)."""
    from tests.emulator.ec2_node import substitute

    document = node.settings_document(scratch.env, scratch.group, site)
    text = substitute(node.settings_text(document), {**scratch.tokens, **secrets})  # type: ignore[attr-defined]
    scratch.client("ssm").put_parameter(Name=node.settings_parameter(scratch.env, scratch.group),
                                        Value=text, Type="String", Overwrite=True, Tier="Advanced")


def test_bootstrap_installs_exactly_the_lock_from_the_wheelhouse(emulator, tmp_path):
    wheels = [wheel("airhost-probe", "1.2.0", ["airhost-probe-dep==0.3"]),
              wheel("airhost-probe-dep", "0.3"), wheel("airhost-probe-dep", "0.4")]
    lock = "airhost-probe==1.2.0\nairhost-probe-dep==0.3\n"
    scratch = prepare(emulator, tmp_path, wheelhouse="")
    where = upload_wheelhouse(scratch.client("s3"), BUCKET_DAGS, "wheelhouse/abc", wheels, lock)
    scratch = prepare(emulator, tmp_path, wheelhouse=where)
    put_settings(scratch, node.ec2_site(scratch.env), {})

    started = time.monotonic()
    result = scratch.script("bootstrap")
    assert result.returncode == 0, result.stderr
    venv = scratch.root / "opt/airhost/venv"
    freeze = subprocess.run([str(venv / "bin/python"), "-m", "pip", "freeze"], capture_output=True,
                            text=True, check=True).stdout
    assert sorted(freeze.split()) == sorted(lock.split())  # exactly the lock, not the newer 0.4
    assert (venv / ".airhost-lock").read_text().strip() == lock_digest(lock.encode())
    assert f"enable --now {' '.join(f'airflow-{c}.service' for c in sorted(scratch.group.components))}" \
        in scratch.systemctl_calls()
    values = scratch.environment_file("scheduler")
    assert values["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor"
    assert not [key for key in values if key.endswith(("FERNET_KEY", "SQL_ALCHEMY_CONN", "JWT_SECRET"))]
    print(f"bootstrap with a fresh install: {time.monotonic() - started:.1f}s")

    again = scratch.script("bootstrap")  # a reboot: the same lock is not installed twice
    assert again.returncode == 0 and "already holds lock" in again.stderr


def test_bootstrap_without_a_wheelhouse_says_what_to_do(emulator, tmp_path):
    scratch = prepare(emulator, tmp_path, wheelhouse="")
    result = scratch.script("bootstrap")
    assert result.returncode == 1
    assert "no wheelhouse" in result.stderr and "airhost deploy" in result.stderr
