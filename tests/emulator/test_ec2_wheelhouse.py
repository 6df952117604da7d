"""``airhost deploy`` builds the EC2 nodes' wheelhouse from the release's lock and puts it in S3.

pip resolves the release (here a small stand-in for Airflow from a folder index: a few wheels
instead of hundreds of megabytes) for the nodes' platform, the wheels and the lock go to the DAG
bucket under the lock's digest, the compute stack points the nodes at it, a deploy with nothing
changed uploads nothing, and a node installs from that wheelhouse with no package index at all.
"""

from __future__ import annotations

import json
import subprocess
import sys

import boto3
import pytest

from airhost.config.ec2 import resolved_groups
from airhost.progress import Progress
from airhost.render.ec2 import node
from tests.ec2.wheels import native, platform_wheel
from tests.emulator import moto_ec2
from tests.emulator.conftest import Deployed
from tests.emulator.ec2_node import ScratchNode

pytestmark = pytest.mark.emulator

PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"  # the node test installs it here
MACHINE = {"arm64": "aarch64", "x86_64": "x86_64"}

HOSTS = f"""\
project: hosts
region: eu-west-1
airflow: {{version: "3.3.2", python: "{PYTHON}", constraints: constraints.txt}}
environments:
  solo:
    target: ec2
    ec2: {{instance_type: m7i.large}}
  mixed:
    target: ec2
    airflow: {{executor: celery}}
    celery: {{broker: sqs}}
    workers: {{min: 1, max: 2, queues: {{gpu: {{min: 0, max: 1}}}}}}
    ec2: {{topology: split, instance_type: t4g.large, queues: {{gpu: {{instance_type: g5.xlarge}}}}}}
"""


class Hosts(Deployed):
    def aws(self, name: str = "solo"):
        from airhost.targets.ec2 import Ec2Deployment

        return Ec2Deployment(self.project().environment(name), project_root=self.root)

    def deploy_with(self, name: str):
        from airhost.deploy import deploy_environment

        project, deployment = self.project(), self.aws(name)
        summary = deploy_environment(project.environment(name), project.config_hash, Progress(),
                                     deployment=deployment, confirm=False)
        return summary.to_json(), deployment


@pytest.fixture
def hosts(emulator, write_project, package_index) -> Hosts:
    """A project whose 'Airflow' pulls a compiled package through an extra, from a folder index."""
    moto_ec2.SENT.clear()
    extras = ["amazon", "celery", "fab", "postgres", "redis"]
    platform_wheel(package_index, "apache-airflow", "3.3.2", extras=extras,
                   requires=['fast; extra == "amazon"'])
    for version in ("1.0", "1.1"):
        for machine in MACHINE.values():
            platform_wheel(package_index, "fast", version, native(version, PYTHON, machine))
    platform_wheel(package_index, "pure", "2.0")
    platform_wheel(package_index, "pure", "2.1")
    # What Celery on SQS needs beyond Airflow (the project image adds the same).
    platform_wheel(package_index, "celery", "5.5.0", extras=["sqs"])
    platform_wheel(package_index, "datadog", "0.50.0")
    root = write_project(HOSTS)
    (root / "constraints.txt").write_text("fast==1.0\npure==2.0\n")
    (root / "requirements.txt").write_text("pure\n")  # the project's own: free of the constraints
    return Hosts(root)


def wheelhouse_keys(bucket: str) -> dict[str, object]:
    found = boto3.client("s3").list_objects_v2(Bucket=bucket, Prefix="wheelhouse/")
    return {item["Key"]: item["LastModified"] for item in found.get("Contents", [])}


def test_deploy_uploads_the_lock_and_its_wheels_once(hosts):
    summary, deployment = hosts.deploy_with("solo")
    bucket = deployment.facts().buckets["DagsBucket"]
    (built,) = deployment.wheelhouses.values()
    assert built.architecture == "x86_64" and built.packages == 3 and built.uploaded == 4
    keys = wheelhouse_keys(bucket)
    prefix = built.location[len(f"s3://{bucket}/"):]
    assert sorted(key[len(prefix):] for key in keys) == [
        "apache_airflow-3.3.2-py3-none-any.whl",
        f"fast-1.0-{native('1.0', PYTHON, 'x86_64')}.whl",  # constrained, and for the nodes' machine
        "pure-2.1-py3-none-any.whl",  # the project's requirement wins over the constraint
        "requirements.lock"]
    stack = boto3.client("cloudformation").describe_stacks(StackName="hosts-solo-compute")["Stacks"][0]
    parameters = {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}
    assert parameters["WheelhouseX8664"] == built.location
    assert summary["release"]["image"] == built.location

    _, deployment = hosts.deploy_with("solo")  # nothing changed: nothing is uploaded
    assert [w.uploaded for w in deployment.wheelhouses.values()] == [0]
    assert wheelhouse_keys(bucket) == keys

    hosts.root.joinpath("requirements.txt").write_text("pure==2.0\n")  # a new lock: a new prefix
    _, deployment = hosts.deploy_with("solo")
    (changed,) = deployment.wheelhouses.values()
    assert changed.location != built.location and changed.uploaded == 4


def test_each_architecture_of_the_groups_gets_its_own_wheelhouse(hosts):
    _, deployment = hosts.deploy_with("mixed")
    built = deployment.wheelhouses
    assert sorted(built) == ["arm64", "x86_64"] and built["arm64"].location != built["x86_64"].location
    bucket = deployment.facts().buckets["DagsBucket"]
    keys = wheelhouse_keys(bucket)
    for architecture, wheelhouse in built.items():
        prefix = wheelhouse.location[len(f"s3://{bucket}/"):]
        assert f"{prefix}fast-1.0-{native('1.0', PYTHON, MACHINE[architecture])}.whl" in keys
        assert f"{prefix}celery-5.5.0-py3-none-any.whl" in keys  # Celery on SQS, as on ECS
        assert f"{prefix}datadog-0.50.0-py3-none-any.whl" in keys
    stack = boto3.client("cloudformation").describe_stacks(StackName="hosts-mixed-compute")["Stacks"][0]
    parameters = {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}
    assert parameters["WheelhouseArm64"] == built["arm64"].location
    assert parameters["WheelhouseX8664"] == built["x86_64"].location


def test_the_users_wheelhouse_is_used_as_it_is(hosts):
    hosts.edit("ec2: {instance_type: m7i.large}",
               "ec2: {instance_type: m7i.large, wheelhouse: 's3://own-wheels/airflow/'}")
    _, deployment = hosts.deploy_with("solo")
    assert deployment.wheelhouses == {}
    assert wheelhouse_keys(deployment.facts().buckets["DagsBucket"]) == {}
    assert deployment.facts().image == "s3://own-wheels/airflow/"


def test_a_node_installs_from_the_deployed_wheelhouse_without_an_index(hosts, tmp_path):
    _, deployment = hosts.deploy_with("solo")
    env = hosts.project().environment("solo")
    (group,) = resolved_groups(env)
    (built,) = deployment.wheelhouses.values()
    scratch = ScratchNode(tmp_path / "node", env, group, deployment.session.client("s3").meta.endpoint_url)
    tokens = {"AWS::Region": "eu-west-1", "AWS::StackName": "hosts-solo-compute",
              "WheelhouseX8664": built.location}
    scratch.write_user_data_files(tokens)
    config_path = scratch.root / "etc/airhost/node.json"
    config = json.loads(config_path.read_text())
    assert config["wheelhouse"] == built.location
    config["python"] = sys.executable  # this machine's Python stands in for the AMI's
    config_path.write_text(json.dumps(config))
    result = scratch.script("bootstrap")  # no settings parameter here: the install comes first
    assert "Airflow installed from lock" in result.stderr, result.stderr
    venv = scratch.root / node.VENV.lstrip("/")
    freeze = subprocess.run([str(venv / "bin/python"), "-m", "pip", "freeze"], capture_output=True,
                            text=True, check=True).stdout.split()
    assert sorted(freeze) == ["apache-airflow==3.3.2", "fast==1.0", "pure==2.1"]
    tag = subprocess.run([str(venv / "bin/python"), "-c", "import fast; print(fast.TAG)"],
                         capture_output=True, text=True, check=True).stdout.strip()
    assert tag == native("1.0", PYTHON, "x86_64")
