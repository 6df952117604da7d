"""Celery worker groups on ECS: the sizing rule, the policy that applies it, shutdown and the image."""

from __future__ import annotations

import json
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


def _alarm_metrics(alarm: dict) -> dict[str, dict]:
    return {m["Id"]: m for m in alarm["Metrics"]}


def test_scale_out_is_decided_on_each_queues_own_backlog_every_ten_seconds():
    resources = render(**CELERY)["Resources"]
    for key, queue in {"Worker": "default", "WorkerHighMemory": "high-memory"}.items():
        alarm = resources[f"{key}BacklogAlarm"]["Properties"]
        assert (alarm["EvaluationPeriods"], alarm["DatapointsToAlarm"], alarm["Threshold"]) == (1, 1, 0)
        assert alarm["AlarmActions"] == [{"Ref": f"{key}ScaleOut"}]
        metrics = _alarm_metrics(alarm)
        for id_, name in {"queued": "airflow.ti.queued", "running": "airflow.ti.running"}.items():
            stat = metrics[id_]["MetricStat"]
            assert stat["Metric"] == {"Namespace": "airhost/shop-prod", "MetricName": name,
                                      "Dimensions": [{"Name": "queue", "Value": queue}]}
            assert (stat["Period"], stat["Stat"]) == (10, "Sum")  # high resolution: the queue's total
        assert metrics["backlog"]["Expression"] == "FILL(queued, 0) + FILL(running, 0)"
        assert metrics["backlog"]["ReturnData"] is True
        idle = resources[f"{key}IdleAlarm"]["Properties"]
        assert idle["AlarmActions"] == [{"Ref": f"{key}ScaleIn"}]
        assert (idle["EvaluationPeriods"], idle["TreatMissingData"]) == (10, "breaching")
        assert {m["MetricStat"]["Period"] for m in idle["Metrics"] if "MetricStat" in m} == {60}


def test_with_several_schedulers_the_backlog_counts_each_task_once():
    resources = render(**{**CELERY, "ecs": {"topology": "split", "image": "ecr", "schedulers": 2}})["Resources"]
    backlog = _alarm_metrics(resources["WorkerBacklogAlarm"]["Properties"])["backlog"]
    # every scheduler's agent publishes the same database counts
    assert backlog["Expression"] == "(FILL(queued, 0) + FILL(running, 0)) / 2"


def _environment(container: dict) -> dict[str, str]:
    return {item["Name"]: item["Value"] for item in container["Environment"]}


def test_the_scheduler_sends_its_queue_gauges_to_a_cloudwatch_agent_beside_it():
    resources = render(**CELERY)["Resources"]
    airflow, agent = resources["SchedulerTaskDefinition"]["Properties"]["ContainerDefinitions"]
    settings = _environment(airflow)
    assert settings["AIRFLOW__METRICS__STATSD_DATADOG_ENABLED"] == "True"  # the queue is a tag
    assert (settings["AIRFLOW__METRICS__STATSD_HOST"], settings["AIRFLOW__METRICS__STATSD_PORT"]) == (
        "127.0.0.1", "8125")
    assert settings["AIRFLOW__METRICS__METRICS_ALLOW_LIST"] == r"^ti\.queued$,^ti\.running$"
    assert settings["AIRFLOW__SCHEDULER__TI_METRICS_INTERVAL"] == "5"

    assert agent["Image"].startswith("public.ecr.aws/cloudwatch-agent/cloudwatch-agent:1.")
    assert agent["Essential"] is False  # Airflow runs on if the agent stops
    config = json.loads(_environment(agent)["CW_CONFIG_CONTENT"])
    metrics = config["metrics"]
    assert metrics["namespace"] == "airhost/shop-prod"
    assert metrics["aggregation_dimensions"] == [["queue"]]
    assert metrics["force_flush_interval"] == 10
    statsd = metrics["metrics_collected"]["statsd"]
    assert statsd["service_address"] == "127.0.0.1:8125"  # not reachable from outside the task
    assert statsd["metrics_collection_interval"] == 10  # under 60 s: high-resolution metrics
    assert statsd["metric_separator"] == "."  # CloudWatch names are Airflow's: airflow.ti.queued
    # only the scheduler carries the agent
    for key in ("WorkerTaskDefinition", "ApiServerTaskDefinition", "DagProcessorTaskDefinition"):
        assert len(resources[key]["Properties"]["ContainerDefinitions"]) == 1, key


def test_the_task_role_publishes_metrics_into_its_own_namespace_only():
    resources = render(**CELERY)["Resources"]
    statements = resources["TaskRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    publish = next(s for s in statements if s["Action"] == ["cloudwatch:PutMetricData"])
    assert publish["Condition"] == {"StringEquals": {"cloudwatch:namespace": "airhost/shop-prod"}}


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
    ({"ecs": {"topology": "split", "image": "ecr"}, "airflow": {"executor": "celery", "version": "3.1.5"}},
     "Airflow 3.2 or later"),
    ({"ecs": {"topology": "split", "image": "ecr"}, "network": {"nat": "none"}}, "network.egress nat-instance"),
])
def test_celery_on_ecs_says_what_its_image_and_broker_need(environment, fix):
    with pytest.raises(ConfigError, match=fix):
        render(**environment)
