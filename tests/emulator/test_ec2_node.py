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
              "LogsBucket": BUCKET_LOGS, "DagsBucket": BUCKET_DAGS,
              "WheelhouseArm64": wheelhouse, "WheelhouseX8664": wheelhouse}
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
    assert "no wheelhouse" in result.stderr and "ec2.wheelhouse" in result.stderr


@pytest.fixture(scope="session")
def airflow_venv(tmp_path_factory):
    """Airflow as the wheelhouse's lock has it, installed once per session (uv, shared cache)."""
    from airhost.local.python_env import uv_binary

    venv = tmp_path_factory.mktemp("airflow") / "venv"
    uv = uv_binary()
    environment = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    subprocess.run([uv, "venv", "-q", "--python", sys.executable, str(venv)], check=True, env=environment)
    subprocess.run([uv, "pip", "install", "-q", "--python", str(venv / "bin/python"),
                    f"apache-airflow[amazon,fab,postgres]=={AIRFLOW}"], check=True, env=environment,
                   timeout=900)
    lock = subprocess.run([uv, "pip", "freeze", "--python", str(venv / "bin/python")],
                          capture_output=True, text=True, check=True, env=environment).stdout
    return venv, lock


@pytest.fixture
def postgres():
    server = Postgres.start()
    yield server
    server.stop()


def secret_arns(scratch: ScratchNode, database_url: str) -> dict[str, str]:
    """The data stack's secrets, in the emulator's Secrets Manager: name → ARN, as its outputs."""
    from cryptography.fernet import Fernet

    manager = scratch.client("secretsmanager")
    values = {"DatabaseUrlSecretArn": database_url, "FernetKeySecretArn": Fernet.generate_key().decode(),
              "JwtSecretArn": "jwt-" + os.urandom(16).hex(), "ApiSecretKeySecretArn": os.urandom(16).hex(),
              "AdminPasswordSecretArn": json.dumps({"username": "admin", "password": "pw-" + os.urandom(8).hex()})}
    return {name: manager.create_secret(Name=f"hosts/node/{name}", SecretString=value)["ARN"]
            for name, value in values.items()}


@pytest.mark.airflow
@pytest.mark.timeout(1200)
def test_node_brings_real_airflow_up_and_a_changed_setting_reaches_it(emulator, tmp_path, airflow_venv,
                                                                     postgres):
    venv, lock = airflow_venv
    scratch = prepare(emulator, tmp_path, wheelhouse="")
    where = upload_wheelhouse(scratch.client("s3"), BUCKET_DAGS, "wheelhouse/airflow", [], lock)
    scratch = prepare(emulator, tmp_path, wheelhouse=where)
    # The node's virtualenv, as a first boot's install from this lock left it (the wheelhouse
    # install itself is proven above with a small wheel set; Airflow's ~150 wheels are not
    # downloaded in a test): the bootstrap then finds the lock installed.
    target = scratch.root / "opt/airhost/venv"
    target.symlink_to(venv)
    (venv / ".airhost-lock").write_text(lock_digest(lock.encode()) + "\n")
    home = scratch.root / "var/lib/airflow"
    (home / "logs").mkdir(parents=True)  # the user data's runcmd creates it
    port = free_port()
    site = dataclasses.replace(
        node.ec2_site(scratch.env), airflow_home=str(home), dags_folder=str(home / "dags"),
        log_folder=str(home / "logs"), api_url=f"http://127.0.0.1:{port}", api_host="127.0.0.1",
        api_port=port, log_server_port=free_port(), trigger_log_server_port=free_port())
    arns = secret_arns(scratch, postgres.url)
    put_settings(scratch, site, arns)
    dag = (Path(__file__).resolve().parents[2] / "examples/ec2/dags/example_dag.py").read_bytes()
    scratch.client("s3").put_object(Bucket=BUCKET_DAGS, Key="dags/example_dag.py", Body=dag)

    started = time.monotonic()
    booted = scratch.script("bootstrap")
    assert booted.returncode == 0, booted.stderr
    assert "already holds lock" in booted.stderr
    migrated = scratch.script("run", "--", "db", "migrate")  # what the deploy sends by Run Command
    assert migrated.returncode == 0, migrated.stdout[-2000:] + migrated.stderr[-2000:]
    try:
        for component in scratch.group.components:
            scratch.start(component)
        document = wait_healthy(scratch, port)
        up = time.monotonic() - started
        print(f"node: bootstrap + migrate + components healthy in {up:.1f}s", file=sys.stderr)
        assert healthy(document)

        # A changed setting, as a stack update writes it; cfn-hup runs apply on the node.
        changed = scratch.env.model_copy(update={"airflow": scratch.env.airflow.model_copy(
            update={"config": {"core": {"parallelism": 7}}})})
        scratch.env = changed
        put_settings(scratch, site, arns)
        applied = scratch.script("apply")
        assert applied.returncode == 0, applied.stderr
        restart = [call for call in scratch.systemctl_calls() if call.startswith("try-restart")]
        assert restart == ["try-restart " + " ".join(
            f"airflow-{c}.service" for c in sorted(scratch.group.components))]
        assert scratch.environment_file("scheduler")["AIRFLOW__CORE__PARALLELISM"] == "7"
        old = scratch.processes["scheduler"].pid
        stopping = time.monotonic()
        scratch.stop_all()  # what try-restart does to each unit: stop, then start
        print(f"node: components stopped in {time.monotonic() - stopping:.1f}s", file=sys.stderr)
        for component in scratch.group.components:
            scratch.start(component)
        new = scratch.processes["scheduler"].pid
        assert new != old
        environ = Path(f"/proc/{new}/environ").read_bytes().split(b"\0")
        assert b"AIRFLOW__CORE__PARALLELISM=7" in environ
        restarting = time.monotonic()
        assert healthy(wait_healthy(scratch, port))
        print(f"node: healthy again {time.monotonic() - restarting:.1f}s after the restart",
              file=sys.stderr)
        value = scratch.script("run", "--", "config", "get-value", "core", "parallelism")
        assert value.returncode == 0 and value.stdout.strip().splitlines()[-1] == "7"
        unchanged = scratch.script("apply")
        assert "settings unchanged" in unchanged.stderr
    finally:
        scratch.stop_all()


def wait_healthy(scratch: ScratchNode, port: int, timeout: float = 240) -> dict | None:
    deadline = time.monotonic() + timeout
    document = None
    while time.monotonic() < deadline:
        document = health(port)
        if healthy(document):
            return document
        for component, process in scratch.processes.items():
            if process.poll() is not None:
                log = (scratch.root / f"{component}.log").read_text()[-3000:]
                pytest.fail(f"{component} exited ({process.returncode}): {log}")
        time.sleep(2)
    logs = {c: (scratch.root / f"{c}.log").read_text()[-1500:] for c in scratch.processes}
    pytest.fail(f"not healthy after {timeout}s: {document}\n{logs}")
