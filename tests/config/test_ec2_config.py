"""The ec2 section: groups with their instance types, architectures that follow them, the rules."""

from __future__ import annotations

import pytest

from airhost.config.ec2 import architecture_of, resolved_groups
from airhost.config.loader import validate_project
from airhost.errors import ConfigError


def env_of(data, **top):
    project = validate_project({"project": "shop", **top, "environments": {"prod": {
        "target": "ec2", "region": "eu-west-1", **data}}}, {}, root=None, source="test")
    return project.environment("prod")


@pytest.mark.parametrize(("instance_type", "architecture"), [
    ("t4g.large", "arm64"), ("m7g.xlarge", "arm64"), ("c7gn.large", "arm64"), ("g5g.xlarge", "arm64"),
    ("r8gd.large", "arm64"), ("a1.large", "arm64"), ("m7i.large", "x86_64"), ("g5.xlarge", "x86_64"),
    ("t3.micro", "x86_64"), ("c6a.large", "x86_64")])
def test_the_architecture_follows_the_instance_type(instance_type, architecture):
    assert architecture_of(instance_type) == architecture


def test_standalone_is_one_group_of_every_component():
    (group,) = resolved_groups(env_of({}))
    assert group.name == "standalone" and group.instance_type == "t4g.large"
    assert group.components == ("api-server", "scheduler", "dag-processor", "triggerer")
    assert group.architecture == "arm64" and group.root_volume_gb == 30


def test_split_with_celery_has_a_worker_group_per_queue():
    env = env_of({"airflow": {"executor": "celery"},
                  "ec2": {"topology": "split", "queues": {"gpu": {"instance_type": "g5.xlarge"}}},
                  "workers": {"min": 1, "max": 4, "queues": {"gpu": {"min": 0, "max": 2}}}})
    groups = {group.name: group for group in resolved_groups(env)}
    assert list(groups) == ["api-server", "scheduler", "dag-processor", "triggerer", "worker",
                            "worker-gpu"]
    assert groups["worker-gpu"].architecture == "x86_64" and groups["worker-gpu"].maximum == 2
    assert groups["worker"].desired == 1 and groups["worker"].queue == "default"


@pytest.mark.parametrize(("data", "message"), [
    ({"ec2": {"instance_type": "t4g.large", "architecture": "x86_64"}}, "is arm64, not x86_64"),
    ({"ec2": {"instance_type": "large"}}, "is not an EC2 instance type"),
    ({"airflow": {"executor": "celery"}}, "needs ec2.topology split"),
    ({"ec2": {"topology": "split", "queues": {"gpu": {}}}}, "which workers.queues does not"),
    ({"airflow": {"executor": "kubernetes"}}, "needs target eks"),
])
def test_what_cannot_run_says_how_to_fix_it(data, message):
    with pytest.raises(ConfigError) as error:
        env_of(data)
    assert message in str(error.value) + str(getattr(error.value, "hint", ""))
