"""The node's files as an instance gets them: units systemd accepts, user data cloud-init accepts,
settings from the one renderer with secrets only as references."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from airhost.config.ec2 import resolved_groups
from airhost.render.airflow_env import render_airflow_env
from airhost.render.ec2 import node
from tests.golden.update import example_environments

EXAMPLES = {key: env for key, (env, _) in example_environments(targets=("ec2",)).items()}
GROUPS = [(key, group) for key, env in sorted(EXAMPLES.items()) for group in resolved_groups(env)]
IDS = [f"{key}:{group.name}" for key, group in GROUPS]
# AWS's limit on user data, before base64.
USER_DATA_LIMIT = 16 * 1024


@pytest.fixture(scope="module")
def unit_root(tmp_path_factory):
    """A scratch root laid out like a node: the executables units name, the system's own units."""
    if not shutil.which("systemd-analyze"):
        pytest.skip("systemd-analyze is not installed (Debian: apt-get install systemd)")
    root = tmp_path_factory.mktemp("node-root")
    for executable in (node.NODE_SCRIPT, "/opt/aws/bin/cfn-hup"):
        path = root / executable.lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("#!/bin/sh\n")
        path.chmod(0o755)
    shutil.copytree("/usr/lib/systemd/system", root / "usr/lib/systemd/system", symlinks=True)
    (root / "etc/systemd/system").mkdir(parents=True)
    return root


def verify(root: Path, units: dict[str, str]) -> subprocess.CompletedProcess:
    folder = root / "etc/systemd/system"
    for name, text in units.items():
        (folder / name).write_text(text)
    return subprocess.run(["systemd-analyze", "verify", f"--root={root}",
                           *(f"/etc/systemd/system/{name}" for name in units)],
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(("key", "group"), GROUPS, ids=IDS)
def test_every_unit_passes_systemd_analyze_verify_silently(unit_root, key, group):
    result = verify(unit_root, node.units(EXAMPLES[key], group))
    assert result.returncode == 0 and result.stderr == "", result.stderr


def test_verify_speaks_up_about_a_broken_unit(unit_root):
    broken = node.unit(EXAMPLES["ec2/ec2-solo"], "scheduler").replace("Restart=", "Restrat=")
    assert "Restrat" in verify(unit_root, {"broken.service": broken}).stderr


def cloud_init_schema(path: Path) -> subprocess.CompletedProcess:
    if not shutil.which("cloud-init"):
        pytest.skip("cloud-init is not installed (Debian: apt-get install cloud-init; 'make test' does)")
    return subprocess.run(["cloud-init", "schema", "--config-file", str(path)],
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(("key", "group"), GROUPS, ids=IDS)
def test_user_data_passes_cloud_init_schema_and_fits(tmp_path, key, group):
    text = node.user_data(EXAMPLES[key], group)
    assert len(text.encode()) < USER_DATA_LIMIT
    path = tmp_path / "user-data"
    path.write_text(text)
    result = cloud_init_schema(path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Valid cloud-config" in result.stdout


def test_cloud_init_schema_refuses_broken_user_data(tmp_path):
    config = node.cloud_config(EXAMPLES["ec2/ec2-solo"], resolved_groups(EXAMPLES["ec2/ec2-solo"])[0])
    config["write_files"][0]["encoding"] = "gzip-b64x"
    path = tmp_path / "user-data"
    path.write_text("#cloud-config\n" + yaml.safe_dump(config))
    assert cloud_init_schema(path).returncode != 0


def test_user_data_writes_the_node_script_and_every_unit():
    env = EXAMPLES["ec2/ec2-split"]
    group = next(g for g in resolved_groups(env) if g.name == "worker-gpu")
    config = yaml.safe_load(node.user_data(env, group))
    paths = {item["path"] for item in config["write_files"]}
    assert {node.NODE_SCRIPT, "/etc/airhost/node.json", "/etc/cfn/hooks.d/airhost.conf",
            "/etc/systemd/system/airflow-worker.service",
            "/etc/systemd/system/airhost-drain.service"} <= paths
    settings = json.loads(next(i["content"] for i in config["write_files"]
                               if i["path"] == "/etc/airhost/node.json"))
    assert settings["settings_parameter"] == "/airhost/hosts/ec2-split/node/worker-gpu"


@pytest.mark.parametrize(("key", "group"), GROUPS, ids=IDS)
def test_settings_come_from_the_one_renderer_and_hold_no_secret(key, group):
    env = EXAMPLES[key]
    document = node.settings_document(env, group)
    site = node.ec2_site(env)
    for component in [*group.components, "utils"]:
        expected = render_airflow_env(env, component, site)
        spec = document["components"][component]
        assert {**document["environment"], **spec["environment"]} == expected.values
        assert set(document["secrets"]) == set(expected.secrets)
    assert all(value.startswith("${") and value.endswith("Arn}") for value in document["secrets"].values())
    rendered = json.dumps(document) + node.user_data(env, group)
    assert "PASSWORD=" not in rendered and "FERNET_KEY=" not in rendered


def test_a_celery_worker_serves_its_own_queue_and_drains_on_stop():
    env = EXAMPLES["ec2/ec2-split"]
    group = next(g for g in resolved_groups(env) if g.name == "worker-gpu")
    assert node.settings_document(env, group)["components"]["worker"]["command"] == [
        "celery", "worker", "--queues", "gpu"]
    unit = node.unit(env, "worker")
    assert "KillMode=mixed" in unit and "Restart=on-failure" in unit
