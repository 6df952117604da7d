"""An EC2 environment on the emulator: deploy (a one-off node migrates before any group starts),
status, run through SSM Run Command, scale, park and resume, through the target seam."""

from __future__ import annotations

import json
from typing import Iterator

import boto3
import pytest

from airhost.progress import Progress
from tests.emulator import moto_ec2
from tests.emulator.conftest import Deployed

pytestmark = pytest.mark.emulator

# A wheelhouse of the user's own: building one from the release's lock is test_ec2_wheelhouse's.
HOSTS = """\
project: hosts
region: eu-west-1
airflow: {version: "3.3.2", python: "3.12"}
environments:
  local:
    target: local
  solo:
    target: ec2
    ec2: {wheelhouse: "s3://hosts-wheels/airflow/"}
  office:
    target: ec2
    ec2: {wheelhouse: "s3://hosts-wheels/airflow/"}
    schedule: {awake: ["Mon-Fri 07:00-20:00", "Sat 09:00-12:00"], timezone: Europe/Berlin}
  split:
    target: ec2
    airflow: {executor: celery}
    workers: {min: 1, max: 3, queues: {gpu: {min: 0, max: 2}}}
    ec2: {topology: split, wheelhouse: "s3://hosts-wheels/airflow/",
          queues: {gpu: {instance_type: g5.xlarge}}}
"""


class Hosts(Deployed):
    def aws(self, name: str = "solo"):
        from airhost.targets.ec2 import Ec2Deployment

        return Ec2Deployment(self.project().environment(name))


@pytest.fixture
def hosts(emulator, write_project) -> Iterator[Hosts]:
    moto_ec2.SENT.clear()
    moto_ec2.SCRIPTED.clear()
    yield Hosts(write_project(HOSTS))
    moto_ec2.SCRIPTED.clear()  # the emulator outlives the test: its scripts must not


def tagged(key: str, value: str):
    found = boto3.client("ec2").describe_instances()["Reservations"]
    return [i for r in found for i in r["Instances"]
            if {"Key": key, "Value": value} in i.get("Tags", [])]


def test_first_deploy_migrates_on_a_one_off_node_then_starts_the_groups(hosts):
    hosts.deploy("solo")
    (migrate_on, script), *rest = moto_ec2.SENT
    assert script[-1].endswith("/opt/airhost/bin/airhost-node run -- db migrate")
    assert script[0].startswith("systemctl start airhost-node.service && ")  # its install first
    one_offs = {i["InstanceId"]: i["State"]["Name"] for i in tagged("airhost:one-off", "true")}
    assert migrate_on in one_offs  # no group had started: a node of its own migrated
    assert set(one_offs.values()) <= {"shutting-down", "terminated"}  # and none is left running
    deployment = hosts.aws("solo")
    (standalone,) = deployment.components()
    assert (standalone.component, standalone.state, standalone.desired, standalone.running) == (
        "standalone", "RUNNING", 1, 1)


def test_run_goes_through_run_command_on_a_node_in_service(hosts):
    hosts.deploy("solo")
    deployment = hosts.aws("solo")
    result = deployment.run(["dags", "list"], Progress(), timeout=60)
    assert result.exit_code == 0 and result.log_stream.startswith("ssm:")
    instance, script = moto_ec2.SENT[-1]
    assert script == ["/opt/airhost/bin/airhost-node run -- dags list"]
    group = boto3.client("autoscaling").describe_auto_scaling_groups(
        AutoScalingGroupNames=["hosts-solo-standalone"])["AutoScalingGroups"][0]
    assert instance in {i["InstanceId"] for i in group["Instances"]}


def test_split_groups_scale_park_and_resume(hosts):
    hosts.deploy("split")
    deployment = hosts.aws("split")
    states = {c.component: c.desired for c in deployment.components()}
    assert states == {"api-server": 1, "scheduler": 1, "dag-processor": 1, "triggerer": 1,
                      "worker": 1, "worker-gpu": 0}
    deployment.scale({"worker": 3}, Progress())
    assert {c.component: c.running for c in deployment.components()}["worker"] == 3
    deployment.park(Progress())
    assert all(c.desired == 0 and c.state == "STOPPED" for c in deployment.components())
    group = boto3.client("autoscaling").describe_auto_scaling_groups(
        AutoScalingGroupNames=["hosts-split-worker"])["AutoScalingGroups"][0]
    assert (group["MinSize"], group["MaxSize"]) == (0, 0)  # no scaling policy brings it back
    assert egress(deployment) == ("parked", 0)  # the NAT instance parks with the nodes
    deployment.resume(Progress())
    assert egress(deployment) == ("running", 1)
    states = {c.component: c.desired for c in deployment.components()}
    assert states["worker"] == 3 and states["scheduler"] == 1 and states["worker-gpu"] == 0


def egress(deployment) -> tuple[str, int]:
    """The network stack's Egress parameter and the NAT instance group's desired capacity."""
    name = deployment.stack_name("network")
    stack = boto3.client("cloudformation").describe_stacks(StackName=name)["Stacks"][0]
    parameter = {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}["Egress"]
    group = boto3.client("autoscaling").describe_auto_scaling_groups(
        AutoScalingGroupNames=[deployment.outputs("network")["NatGroupName"]])["AutoScalingGroups"][0]
    return parameter, group["DesiredCapacity"]


def test_shell_without_the_session_manager_plugin_says_how_to_install_it(hosts, run_cli, monkeypatch):
    hosts.deploy("solo")
    monkeypatch.setenv("PATH", "/nonexistent")
    result = run_cli("shell", "solo", "--config", str(hosts.root))
    assert result.exit_code != 0
    assert "session-manager-plugin" in result.stderr and "install" in result.stderr


def test_shell_is_refused_where_the_target_has_none(hosts, run_cli):
    result = run_cli("shell", "local", "--config", str(hosts.root))
    assert result.exit_code != 0 and "does not apply" in result.stderr


def test_office_hours_are_the_groups_own_scheduled_actions(hosts):
    hosts.deploy("office")
    actions = boto3.client("autoscaling").describe_scheduled_actions(
        AutoScalingGroupName="hosts-office-standalone")["ScheduledUpdateGroupActions"]
    found = sorted((a["Recurrence"], a.get("TimeZone"), a["MinSize"], a["MaxSize"],
                    a["DesiredCapacity"]) for a in actions)
    assert found == [
        ("0 12 * * 6", "Europe/Berlin", 0, 0, 0),  # Saturday noon: parked
        ("0 20 * * 1,2,3,4,5", "Europe/Berlin", 0, 0, 0),  # weekday evenings: parked
        ("0 7 * * 1,2,3,4,5", "Europe/Berlin", 1, 1, 1),  # weekday mornings: its one node
        ("0 9 * * 6", "Europe/Berlin", 1, 1, 1),
    ]


def node_units(bootstrap: str = "success", **components: dict) -> str:
    """What ``airhost-node units`` prints: the bootstrap's result and each component unit."""
    return json.dumps({"bootstrap": {"active": "active", "result": bootstrap},
                       "components": components})


def test_a_unit_that_keeps_exiting_ends_the_deploy_with_its_own_lines(hosts):
    from airhost.errors import ComponentFailing

    moto_ec2.SCRIPTED["airhost-node units"] = (0, node_units(
        scheduler={"active": "activating", "sub": "auto-restart", "restarts": 4,
                   "exit_status": 1, "crash_looping": True,
                   "log": ["airflow.exceptions.AirflowConfigException: section/key "
                           "[core/parallelism] not an integer"]},
        **{"api-server": {"active": "active", "restarts": 0, "crash_looping": False}}))
    with pytest.raises(ComponentFailing) as failing:
        hosts.deploy("solo")
    message = failing.value.message
    assert "scheduler exits at start on node i-" in message and "4 times" in message
    assert "[core/parallelism] not an integer" in message
    (standalone,) = hosts.aws("solo").components()
    assert (standalone.state, standalone.restarts) == ("CRASH_LOOP", 4)

    moto_ec2.SCRIPTED["airhost-node units"] = (0, node_units(
        scheduler={"active": "active", "restarts": 0, "crash_looping": False}))
    (standalone,) = hosts.aws("solo").components()
    assert (standalone.state, standalone.restarts) == ("RUNNING", 0)


def test_a_failed_bootstrap_is_said_with_its_journal(hosts):
    from airhost.errors import ComponentFailing

    report = json.loads(node_units(bootstrap="exit-code"))
    report["bootstrap"]["log"] = ["airhost-node: pip install failed (exit 1)"]
    moto_ec2.SCRIPTED["airhost-node units"] = (0, json.dumps(report))
    with pytest.raises(ComponentFailing) as failing:
        hosts.deploy("solo")
    assert "bootstrap of node i-" in failing.value.message
    assert "pip install failed" in failing.value.message
