"""Celery worker groups on ECS: the sizing rule, the policy that applies it, shutdown and the image."""

from __future__ import annotations

from pathlib import Path

import pytest

from airhost.config.loader import validate_project
from airhost.errors import ConfigError
from airhost.render.ecs import render_stacks
from airhost.render.ecs.worker_sizing import (
    MAX_STEPS, Step, desired_workers, exact_up_to, policy_workers, scale_out_steps,
)
from tests.render.conftest import resources_of, stack


@pytest.mark.parametrize("backlog, per_worker, minimum, maximum, workers", [
    (0, 16, 0, 10, 0),      # idle, min 0: scale to zero
    (0, 16, 2, 10, 2),      # idle, min 2: keep two
    (1, 16, 0, 10, 1),      # one task wakes one worker
    (16, 16, 0, 10, 1),     # exactly full
    (17, 16, 0, 10, 2),     # one more task: one more worker
    (100, 16, 0, 10, 7),    # ceil(100 / 16)
    (1000, 16, 0, 10, 10),  # never above max
    (5, 2, 0, 2, 2),        # a small heavy queue at its max
    (3, 16, 4, 10, 4),      # min wins over a small backlog
])
def test_desired_workers_is_ceil_of_backlog_over_concurrency_within_min_and_max(
        backlog, per_worker, minimum, maximum, workers):
    assert desired_workers(backlog, per_worker, minimum, maximum) == workers


def test_desired_workers_refuses_nonsense():
    with pytest.raises(ValueError):
        desired_workers(1, 0, 0, 1)
    with pytest.raises(ValueError):
        desired_workers(1, 16, 3, 2)


@pytest.mark.parametrize("per_worker, minimum, maximum", [
    (16, 0, 10), (8, 0, 8), (2, 0, 2), (16, 1, 4), (1, 0, 1), (4, 3, 3), (16, 0, 20), (5, 2, 21),
])
def test_the_policy_sizes_exactly_like_the_rule_for_every_backlog(per_worker, minimum, maximum):
    steps = scale_out_steps(per_worker, minimum, maximum)
    assert len(steps) <= MAX_STEPS
    assert exact_up_to(per_worker, minimum, maximum) is None
    for backlog in range(1, maximum * per_worker * 3):
        assert policy_workers(steps, backlog) == desired_workers(backlog, per_worker, minimum, maximum)


def test_a_group_larger_than_the_step_limit_sizes_exactly_then_jumps_to_max():
    steps = scale_out_steps(16, 0, 50)
    assert len(steps) == MAX_STEPS
    exact = exact_up_to(16, 0, 50)
    assert exact == (MAX_STEPS - 1) * 16
    for backlog in range(1, exact + 1):
        assert policy_workers(steps, backlog) == desired_workers(backlog, 16, 0, 50)
    assert policy_workers(steps, exact + 1) == 50
    assert policy_workers(steps, 10_000) == 50


def test_steps_are_contiguous_so_no_backlog_falls_between_them():
    steps = scale_out_steps(16, 0, 50)
    assert steps[0].lower == 0
    assert all(a.upper == b.lower for a, b in zip(steps, steps[1:]))
    assert steps[-1].upper is None


def render(**environment):
    data = {"project": "shop", "region": "eu-west-1", "environments": {"prod": {
        "target": "ecs", "airflow": {"executor": "celery"}, **environment}}}
    env = validate_project(data, {}, root=Path("/p"), source="test").environment("prod")
    return stack(render_stacks(env, "0123456789ab"), "airflow").template


def _step(adjustment: dict) -> Step:
    """A rendered step adjustment read back as a Step."""
    return Step(adjustment.get("MetricIntervalLowerBound", float("-inf")),
                adjustment.get("MetricIntervalUpperBound"), adjustment["ScalingAdjustment"])


CELERY = {"ecs": {"topology": "split", "image": "ecr"},
          "workers": {"min": 0, "max": 6, "tasks_per_worker": 8,
                      "queues": {"high-memory": {"min": 1, "max": 3, "tasks_per_worker": 2,
                                                 "size": {"cpu": 2048, "memory": 16384}}}}}


def test_each_queue_gets_its_own_group_size_and_scaling_between_min_and_max():
    template = render(**CELERY)
    resources = template["Resources"]
    assert set(resources_of(template, "AWS::SQS::Queue")) == {"WorkerQueue", "WorkerHighMemoryQueue"}
    heavy = resources["WorkerHighMemoryTaskDefinition"]["Properties"]
    assert (heavy["Cpu"], heavy["Memory"]) == ("2048", "16384")
    assert heavy["ContainerDefinitions"][0]["Command"] == ["celery", "worker", "--queues", "high-memory"]
    for key, (minimum, maximum, per_worker) in {"Worker": (0, 6, 8), "WorkerHighMemory": (1, 3, 2)}.items():
        target = resources[f"{key}Scaling"]["Properties"]
        assert (target["MinCapacity"], target["MaxCapacity"]) == (minimum, maximum)
        policy = resources[f"{key}ScaleOut"]["Properties"]["StepScalingPolicyConfiguration"]
        assert policy["AdjustmentType"] == "ExactCapacity"
        rendered = [_step(adjustment) for adjustment in policy["StepAdjustments"]]
        for backlog in range(1, maximum * per_worker * 2):
            assert policy_workers(rendered, backlog) == desired_workers(backlog, per_worker, minimum, maximum)
        idle = resources[f"{key}ScaleIn"]["Properties"]["StepScalingPolicyConfiguration"]
        assert idle["StepAdjustments"] == [{"MetricIntervalUpperBound": 0, "ScalingAdjustment": minimum}]


def test_scale_out_is_decided_on_the_queue_backlog_each_minute():
    resources = render(**CELERY)["Resources"]
    alarm = resources["WorkerBacklogAlarm"]["Properties"]
    assert (alarm["EvaluationPeriods"], alarm["Threshold"]) == (1, 0)
    assert alarm["AlarmActions"] == [{"Ref": "WorkerScaleOut"}]
    names = {m["MetricStat"]["Metric"]["MetricName"] for m in alarm["Metrics"] if "MetricStat" in m}
    assert names == {"ApproximateNumberOfMessagesVisible", "ApproximateNumberOfMessagesNotVisible"}
    assert all(m["MetricStat"]["Period"] == 60 for m in alarm["Metrics"] if "MetricStat" in m)


def test_workers_shut_down_warm_and_sqs_workers_skip_remote_control():
    resources = render(**CELERY)["Resources"]
    for key in ("WorkerTaskDefinition", "WorkerHighMemoryTaskDefinition"):
        container = resources[key]["Properties"]["ContainerDefinitions"][0]
        environment = {item["Name"]: item["Value"] for item in container["Environment"]}
        assert environment["DUMB_INIT_SETSID"] == "0"  # SIGTERM to Celery's main process only
        assert container["StopTimeout"] == 120  # Fargate's longest
        assert environment["AIRFLOW__CELERY__WORKER_ENABLE_REMOTE_CONTROL"] == "False"
        assert environment["AIRFLOW__CELERY__BROKER_URL"] == "sqs://"
    scheduler = resources["SchedulerTaskDefinition"]["Properties"]["ContainerDefinitions"][0]
    assert all(item["Name"] != "DUMB_INIT_SETSID" for item in scheduler["Environment"])


@pytest.mark.parametrize("environment, fix", [
    ({"ecs": {"topology": "split"}}, "ecs.image: ecr"),
    ({"ecs": {"topology": "split", "image": "ecr"}, "celery": {"broker": "redis"}}, "celery.broker: sqs"),
])
def test_celery_on_ecs_says_what_its_image_and_broker_need(environment, fix):
    with pytest.raises(ConfigError, match=fix):
        render(**environment)
