"""A Celery environment deployed on the emulator: each worker group has its scalable target and policies.

moto's CloudFormation skips Application Auto Scaling resources; ``moto_scaling`` creates them through
moto's own Application Auto Scaling API, as CloudFormation does on AWS (see that module).
"""

from __future__ import annotations

import boto3
import pytest

from airhost.render.ecs.worker_sizing import desired_workers
from tests.emulator.conftest import Deployed

pytestmark = pytest.mark.emulator

PROJECT = """\
    project: shop
    region: eu-west-1
    airflow: {version: "3.3.2", python: "3.12", executor: celery}
    environments:
      prod:
        target: ecs
        ecs: {topology: split, image: ecr}
        workers:
          min: 0
          max: 6
          tasks_per_worker: 8
          queues:
            high-memory: {min: 1, max: 3, tasks_per_worker: 2, size: {cpu: 2048, memory: 16384}}
    """
IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop-prod:test"


def test_each_worker_group_scales_between_its_bounds_on_its_backlog(emulator, write_project):
    from airhost.deploy import deploy_environment
    from airhost.progress import Progress

    emulator.script("db migrate", lines=["Database migrating done!"])
    shop = Deployed(write_project(PROJECT))
    project = shop.project()
    deploy_environment(project.environment("prod"), project.config_hash, Progress(), confirm=False,
                       image=IMAGE)
    services = shop.aws().ecs_facts.services
    cluster = shop.aws().ecs_facts.cluster
    scaling = boto3.client("application-autoscaling")

    targets = {t["ResourceId"]: t for t in
               scaling.describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"]}
    expected = {"worker": (0, 6, 8), "worker-high-memory": (1, 3, 2)}
    assert set(targets) == {f"service/{cluster}/{services[group]}" for group in expected}
    for group, (minimum, maximum, per_worker) in expected.items():
        resource = f"service/{cluster}/{services[group]}"
        assert (targets[resource]["MinCapacity"], targets[resource]["MaxCapacity"]) == (minimum, maximum)
        policies = {p["PolicyName"]: p for p in scaling.describe_scaling_policies(
            ServiceNamespace="ecs", ResourceId=resource)["ScalingPolicies"]}
        assert len(policies) == 2, policies.keys()
        out = next(p for name, p in policies.items() if name.endswith("-backlog"))
        config = out["StepScalingPolicyConfiguration"]
        assert config["AdjustmentType"] == "ExactCapacity"
        steps = config["StepAdjustments"]
        # the policy's largest step is the group's max; its first covers one task
        assert steps[-1]["ScalingAdjustment"] == maximum
        assert steps[0]["ScalingAdjustment"] == desired_workers(1, per_worker, minimum, maximum)
        idle = next(p for name, p in policies.items() if name.endswith("-idle"))
        assert idle["StepScalingPolicyConfiguration"]["StepAdjustments"][0]["ScalingAdjustment"] == minimum

    # each group's alarms watch its own queue's backlog in the environment's namespace and invoke
    # its policies: a high-resolution one to scale out, a standard one to return to min
    cloudwatch = boto3.client("cloudwatch")
    alarms = cloudwatch.describe_alarms()["MetricAlarms"]
    arns = {p["PolicyName"]: p["PolicyARN"] for p in scaling.describe_scaling_policies(
        ServiceNamespace="ecs")["ScalingPolicies"]}
    for group, queue in {"Worker": "default", "WorkerHighMemory": "high-memory"}.items():
        for suffix, policy, period in (("backlog", "ScaleOut", 10), ("idle", "ScaleIn", 60)):
            alarm = next(a for a in alarms if a["AlarmActions"] == [arns[f"{group}-{suffix}"]])
            stats = [m["MetricStat"] for m in alarm["Metrics"] if "MetricStat" in m]
            assert {s["Metric"]["MetricName"] for s in stats} == {"airflow.ti.queued", "airflow.ti.running"}
            assert {s["Metric"]["Namespace"] for s in stats} == {"airhost/shop-prod"}
            assert all(s["Metric"]["Dimensions"] == [{"Name": "queue", "Value": queue}] for s in stats)
            assert {s["Period"] for s in stats} == {period}, (group, policy)
