"""The EC2 examples' stacks: golden files, what the compute stack promises, no literal secret."""

from __future__ import annotations

import base64
import gzip
import json

import pytest
import yaml

from tests.golden.update import GOLDEN, example_stacks, golden_files
from tests.render.test_golden import REGENERATE, _differences
from tests.render.test_secret_scan import SECRET_NAME, scan

STACKS = {key: stacks for key, stacks in example_stacks().items() if key.startswith("ec2/")}


def compute(key: str) -> dict:
    return next(s for s in STACKS[key] if s.layer == "compute").template


def of_type(template: dict, type_: str) -> dict:
    return {name: r for name, r in template["Resources"].items() if r["Type"] == type_}


def test_each_ec2_example_matches_its_golden_templates():
    problems = []
    for key, stacks in STACKS.items():
        for name, content in golden_files(stacks).items():
            path = GOLDEN / key / name
            expected = json.loads(path.read_text()) if path.exists() else {}
            problems += [f"{key}/{name}{d}" for d in _differences(expected, content)]
    assert not problems, f"{REGENERATE}:\n" + "\n".join(problems[:20])


@pytest.mark.parametrize("key", sorted(STACKS))
def test_nodes_are_locked_down(key):
    template = compute(key)
    for name, resource in of_type(template, "AWS::EC2::LaunchTemplate").items():
        data = resource["Properties"]["LaunchTemplateData"]
        assert data["MetadataOptions"]["HttpTokens"] == "required", name
        assert "KeyName" not in data, name
        (volume,) = data["BlockDeviceMappings"]
        assert volume["Ebs"]["Encrypted"] is True and volume["Ebs"]["VolumeType"] == "gp3"
        parameter = template["Parameters"][data["ImageId"]["Ref"]]
        assert parameter["Type"] == "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>"
        assert parameter["Default"].startswith("/aws/service/ami-amazon-linux-latest/al2023-ami-")
    role = template["Resources"]["InstanceRole"]["Properties"]
    assert role["ManagedPolicyArns"] == [
        {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"}]
    assert not of_type(template, "AWS::EC2::SecurityGroup"), "nodes use the network stack's group"


@pytest.mark.parametrize("key", sorted(STACKS))
def test_group_counts_are_the_stacks_counts(key):
    stack = next(s for s in STACKS[key] if s.layer == "compute")
    groups = of_type(stack.template, "AWS::AutoScaling::AutoScalingGroup")
    assert len(stack.counts) == len(groups)
    for resource in groups.values():
        assert resource["Properties"]["DesiredCapacity"]["Ref"] in stack.counts
    assert all(stack.template["Parameters"][count]["Default"] == 0 for count in stack.counts)


def test_worker_groups_drain_and_scale_on_their_backlog():
    template = compute("ec2/ec2-split")
    group = template["Resources"]["WorkerGpuGroup"]["Properties"]
    (hook,) = group["LifecycleHookSpecificationList"]
    assert hook["LifecycleTransition"] == "autoscaling:EC2_INSTANCE_TERMINATING"
    steps = template["Resources"]["WorkerGpuScaleOut"]["Properties"]["StepAdjustments"]
    assert [s["ScalingAdjustment"] for s in steps] == [1, 2]  # 1 task per GPU worker, max 2
    alarm = template["Resources"]["WorkerGpuBacklogAlarm"]["Properties"]
    assert alarm["Metrics"][0]["MetricStat"]["Metric"]["Dimensions"] == [{"Name": "queue", "Value": "gpu"}]


@pytest.mark.parametrize("key", sorted(STACKS))
def test_no_template_or_user_data_holds_a_literal_secret(key):
    for stack in STACKS[key]:
        assert scan(stack.template) == [], stack.name
    for resource in of_type(compute(key), "AWS::SSM::Parameter").values():
        value = resource["Properties"]["Value"]["Fn::Sub"]
        document = json.loads(value[0] if isinstance(value, list) else value)
        plain = dict(document["environment"])
        for spec in document["components"].values():
            plain.update(spec["environment"])
        assert not [name for name in plain if SECRET_NAME.search(name.split("__")[-1])]
    for resource in of_type(compute(key), "AWS::EC2::LaunchTemplate").values():
        text = resource["Properties"]["LaunchTemplateData"]["UserData"]["Fn::Base64"]["Fn::Sub"]
        text = text[0] if isinstance(text, list) else text
        config = yaml.safe_load(text)
        for item in config["write_files"]:
            content = item["content"]
            if item.get("encoding") == "gz+b64":
                content = gzip.decompress(base64.b64decode(content)).decode()
            assert "BEGIN PRIVATE KEY" not in content and "aws_secret_access_key" not in content


def test_no_ec2_golden_file_is_left_from_a_removed_environment_or_stack():
    expected = {f"{key}/{name}" for key, stacks in STACKS.items() for name in golden_files(stacks)}
    assert {str(p.relative_to(GOLDEN)) for p in GOLDEN.glob("ec2/*/*.json")} == expected, REGENERATE
