"""Day two on EC2, through the seam: backup and restore, and an Airflow upgrade that ships a new
wheelhouse, on the emulator.

The release is a small stand-in for Airflow from a folder index (``tests/ec2/wheels.py``), so an
upgrade really resolves, builds and uploads the new version's wheelhouse. Every one-off command
(the migrations) runs on a node of its own while the groups are held at zero.
"""

from __future__ import annotations

import json
import sys

import boto3
import pytest

from tests.ec2.wheels import native, platform_wheel
from tests.emulator import moto_ec2
from tests.emulator.conftest import Deployed

pytestmark = pytest.mark.emulator

PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"
HOSTS = f"""\
project: hosts
region: eu-west-1
airflow: {{version: "3.3.1", python: "{PYTHON}", constraints: constraints.txt}}
environments:
  solo:
    target: ec2
    ec2: {{instance_type: m7i.large}}
"""


@pytest.fixture
def hosts(emulator, write_project, package_index):
    moto_ec2.SENT.clear()
    moto_ec2.SCRIPTED.clear()
    for version in ("3.3.1", "3.3.2"):
        platform_wheel(package_index, "apache-airflow", version, requires=["fast"],
                       extras=["amazon", "fab", "postgres"])
    platform_wheel(package_index, "fast", "1.0", native("1.0", PYTHON, "x86_64"))
    root = write_project(HOSTS)
    (root / "constraints.txt").write_text("fast==1.0\n")
    yield Deployed(root)
    moto_ec2.SCRIPTED.clear()  # the emulator outlives the test: a failing script must not
    moto_ec2.MEANWHILE.clear()


def deploy(hosts, run_cli):
    result = run_cli("deploy", "solo", "--yes", "--config", str(hosts.root))
    assert result.exit_code == 0, result.stderr
    moto_ec2.SENT.clear()


def one_off_nodes() -> set[str]:
    found = boto3.client("ec2").describe_instances()["Reservations"]
    return {i["InstanceId"] for r in found for i in r["Instances"]
            if {"Key": "airhost:one-off", "Value": "true"} in i.get("Tags", [])}


def group() -> dict:
    return boto3.client("autoscaling").describe_auto_scaling_groups(
        AutoScalingGroupNames=["hosts-solo-standalone"])["AutoScalingGroups"][0]


def compute_parameters() -> dict[str, str]:
    stack = boto3.client("cloudformation").describe_stacks(StackName="hosts-solo-compute")["Stacks"][0]
    return {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}


def release() -> dict:
    return json.loads(boto3.client("ssm").get_parameter(
        Name="/airhost/hosts/solo/release")["Parameter"]["Value"])


def migrations() -> list[tuple[str, list[str]]]:
    """The Run Commands that migrated (others ask the nodes for their units' state)."""
    return [(instance, script) for instance, script in moto_ec2.SENT
            if "airhost-node run -- db migrate" in script[-1]]


def test_backup_and_restore_migrate_on_a_node_of_their_own(hosts, run_cli):
    deploy(hosts, run_cli)
    backup = run_cli("backup", "solo", "--config", str(hosts.root))
    assert backup.exit_code == 0, backup.stderr
    snapshot = backup.stdout.split("backup ")[1].split()[0]
    suspended: list[set[str]] = []  # the group's, as the migration is sent
    moto_ec2.MEANWHILE["db migrate"] = lambda: suspended.append(
        {p["ProcessName"] for p in group()["SuspendedProcesses"]})

    result = run_cli("restore", "solo", snapshot, "--yes", "--config", str(hosts.root))

    assert result.exit_code == 0, result.stderr
    data = boto3.client("cloudformation").describe_stacks(StackName="hosts-solo-data")["Stacks"][0]
    assert {p["ParameterKey"]: p["ParameterValue"] for p in data["Parameters"]}[
        "DatabaseSnapshot"] == snapshot
    (migrated_on, script), *_ = migrations()
    assert script[-1].endswith("airhost-node run -- db migrate")
    assert migrated_on in one_off_nodes()  # the group was held at 0 during the switch
    standalone = group()
    assert (standalone["DesiredCapacity"], standalone["MinSize"], standalone["MaxSize"]) == (1, 1, 1)
    # no scheduled action or alarm could start a node meanwhile; both act again afterwards
    assert suspended == [{"ScheduledActions", "AlarmNotification"}]
    assert standalone["SuspendedProcesses"] == []


def test_upgrade_builds_the_new_wheelhouse_and_migrates_with_it(hosts, run_cli):
    deploy(hosts, run_cli)
    before = compute_parameters()["WheelhouseX8664"]

    result = run_cli("upgrade", "solo", "--airflow-version", "3.3.2", "--yes",
                     "--config", str(hosts.root))

    assert result.exit_code == 0, result.stderr
    assert "upgraded hosts-solo from Airflow 3.3.1 to 3.3.2" in result.stdout
    after = compute_parameters()["WheelhouseX8664"]
    assert after != before
    bucket, _, prefix = after[len("s3://"):].partition("/")
    lock = boto3.client("s3").get_object(Bucket=bucket, Key=prefix + "requirements.lock")
    assert "apache-airflow==3.3.2 --hash=sha256:" in lock["Body"].read().decode()
    snapshots = boto3.client("rds").describe_db_snapshots(SnapshotType="manual")["DBSnapshots"]
    assert [s for s in snapshots if "-pre-upgrade-" in s["DBSnapshotIdentifier"]]
    (migrated_on, script), *_ = migrations()
    assert script[-1].endswith("airhost-node run -- db migrate") and migrated_on in one_off_nodes()
    text = result.stderr
    assert (text.index("snapshotting database") < text.index("building the wheelhouse")
            < text.index("migrating the metadata database") < text.index("starting Airflow 3.3.2"))
    assert group()["DesiredCapacity"] == 1
    assert release()["airflow_version"] == "3.3.2" and release()["image"] == after


def test_a_failed_migration_puts_the_previous_wheelhouse_back_and_restores_the_snapshot(
        hosts, run_cli):
    deploy(hosts, run_cli)
    before = compute_parameters()["WheelhouseX8664"]
    database = boto3.client("cloudformation").describe_stacks(
        StackName="hosts-solo-data")["Stacks"][0]
    instance = {o["OutputKey"]: o["OutputValue"] for o in database["Outputs"]}["DatabaseInstanceId"]
    moto_ec2.SCRIPTED["run -- db migrate"] = (1, "alembic.util.exc.CommandError: Can't locate revision")

    result = run_cli("upgrade", "solo", "--airflow-version", "3.3.2", "--yes", "--auto-restore",
                     "--config", str(hosts.root))

    assert result.exit_code == 1
    error = result.stderr
    assert "failed while migrating the database" in error and "Can't locate revision" in error
    assert f"compute stack: previous release ({before}) serving" in error
    assert f"the migrated one, {instance}, is kept" in error
    assert "release record: still Airflow 3.3.1" in error
    assert compute_parameters()["WheelhouseX8664"] == before  # the nodes install 3.3.1 again
    assert group()["DesiredCapacity"] == 1
    assert release()["airflow_version"] == "3.3.1"
