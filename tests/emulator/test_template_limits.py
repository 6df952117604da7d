"""CloudFormation's template limits, as AWS applies them, on the emulator.

The harness (``aws_quotas``) refuses what AWS would refuse; the product sends every template
compact, and one over 51,200 bytes through S3, so an environment with many worker queues deploys.
"""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import botocore.exceptions
import pytest

from airhost.aws.session import AwsSession
from airhost.aws.templates import TEMPLATE_BODY_LIMIT, TemplateStore, template_body
from airhost.config import load_project
from airhost.progress import Progress
from airhost.render.ecs import render_stacks

pytestmark = pytest.mark.emulator

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "ecs"
IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop-many:test"

MANY_QUEUES = """\
project: shop
region: eu-west-1
airflow: {version: "3.3.2", executor: celery}
environments:
  many:
    target: ecs
    ecs: {topology: split, image: ecr}
    workers:
      min: 0
      max: 4
      queues:
        reports: {min: 0, max: 2}
        exports: {min: 0, max: 2}
        heavy: {min: 0, max: 1, tasks_per_worker: 2, size: {cpu: 4096, memory: 16384}}
"""


def airflow_stack(root: Path, name: str):
    project = load_project(root)
    return next(s for s in render_stacks(project.environment(name), project.config_hash)
                if s.layer == "airflow")


def test_the_old_inline_form_of_the_largest_example_is_refused_as_aws_would(emulator):
    stack = airflow_stack(EXAMPLES, "fg-split-alb")
    old = json.dumps(stack.template)  # how templates were sent before: json.dumps' defaults
    assert len(old.encode()) > TEMPLATE_BODY_LIMIT >= len(template_body(stack.template).encode())
    cloudformation = boto3.client("cloudformation")
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        cloudformation.create_change_set(
            StackName=stack.name, ChangeSetName="old-form", ChangeSetType="CREATE",
            TemplateBody=old, Capabilities=["CAPABILITY_NAMED_IAM"])
    error = refused.value.response["Error"]
    assert error["Code"] == "ValidationError"
    assert "Member must have length less than or equal to 51200" in error["Message"]


def test_a_template_under_the_limit_goes_inline_and_a_larger_one_through_a_private_bucket(
        emulator):
    store = TemplateStore(AwsSession("eu-west-1"))
    assert set(store.source("small", {"Resources": {}})) == {"TemplateBody"}

    large = {"Description": "x" * 10, "Resources": {f"R{i}": {"Type": "AWS::SSM::Parameter",
             "Properties": {"Type": "String", "Value": "v" * 200}} for i in range(300)}}
    source = store.source("big-stack", large)
    url = source["TemplateURL"]
    account = boto3.client("sts").get_caller_identity()["Account"]
    bucket = f"airhost-templates-{account}-eu-west-1"
    assert url.startswith(f"https://{bucket}.s3.eu-west-1.amazonaws.com/big-stack/")
    s3 = boto3.client("s3")
    key = url.split(".amazonaws.com/", 1)[1]
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == template_body(large).encode()
    blocked = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(blocked.values())
    rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    assert policy["Statement"][0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    lifecycle = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"][0]
    assert lifecycle["Expiration"]["Days"] == 7


def test_many_worker_queues_deploy_through_the_s3_path(emulator, write_project):
    from airhost.deploy import deploy_environment

    root = write_project(MANY_QUEUES)
    stack = airflow_stack(root, "many")
    assert len(template_body(stack.template).encode()) > TEMPLATE_BODY_LIMIT  # S3 it must be
    project = load_project(root)
    progress = Progress()
    summary = deploy_environment(project.environment("many"), project.config_hash, progress,
                                 confirm=False, image=IMAGE)

    assert {s.name: s.status for s in summary.stacks}["shop-many-airflow"] == "UPDATE_COMPLETE"
    components = {c.component for c in summary.components}
    assert {"worker", "worker-reports", "worker-exports", "worker-heavy"} <= components
    account = boto3.client("sts").get_caller_identity()["Account"]
    uploaded = boto3.client("s3").list_objects_v2(Bucket=f"airhost-templates-{account}-eu-west-1",
                                                  Prefix="shop-many-airflow/")
    assert uploaded["KeyCount"] >= 1
