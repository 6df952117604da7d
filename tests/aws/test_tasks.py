"""One-off tasks and service waits on stubbed ECS and CloudWatch Logs."""

from __future__ import annotations

import pytest

from airhost.aws.ecs import Ecs
from airhost.aws.errors import TaskFailed, TaskTimeout, WaitTimeout
from airhost.config.models import Environment
from airhost.progress import Progress
from airhost.targets.ecs.deployment import EcsDeployment
from airhost.targets.ecs.facts import EcsFacts
from airhost.targets.ecs.tasks import run_command

TASK = "arn:aws:ecs:eu-west-1:123456789012:task/c/abc123"


def environment(session) -> EcsDeployment:
    env = Environment(name="prod", project="shop", target="ecs", region="eu-west-1")
    aws = EcsDeployment(env, session=session)
    aws.__dict__["ecs_facts"] = EcsFacts(  # what the stacks' outputs would say
        cluster="c", capacity_provider="FARGATE", utils_task_definition="utils:1",
        container="airflow", log_group="/airhost/shop/prod", subnets=["subnet-1", "subnet-2"],
        security_groups=["sg-1"], services={"standalone": "svc"})
    return aws


def task(status: str, **container) -> dict:
    return {"tasks": [{"taskArn": TASK, "lastStatus": status,
                       "containers": [{"name": "airflow", **container}]}]}


def test_run_places_the_task_in_private_subnets_and_returns_its_exit_code(session, stub):
    ecs, logs = stub("ecs"), stub("logs")
    ecs.add_response("run_task", task("PROVISIONING"), {
        "cluster": "c", "taskDefinition": "utils:1", "count": 1, "startedBy": "airhost-run",
        "launchType": "FARGATE", "overrides": {"containerOverrides": [
            {"name": "airflow", "command": ["dags", "list"]}]},
        "networkConfiguration": {"awsvpcConfiguration": {
            "subnets": ["subnet-1", "subnet-2"], "securityGroups": ["sg-1"],
            "assignPublicIp": "DISABLED"}}})
    logs.add_client_error("get_log_events", service_error_code="ResourceNotFoundException")
    ecs.add_response("describe_tasks", task("STOPPED", exitCode=3))
    logs.add_response("get_log_events", {"events": [{"timestamp": 1, "message": "boom\n"}],
                                         "nextForwardToken": "f1"})
    logs.add_response("get_log_events", {"events": [], "nextForwardToken": "f1"})

    progress = Progress()
    result = run_command(environment(session), ["dags", "list"], progress)
    assert result.exit_code == 3
    assert result.log_stream == "utils/airflow/abc123"
    assert "boom" in progress.lines


def test_a_task_that_never_ran_its_command_says_why(session, stub):
    ecs, logs = stub("ecs"), stub("logs")
    ecs.add_response("run_task", task("STOPPED", reason="CannotPullContainerError: access denied"))
    logs.add_response("get_log_events", {"events": []})
    logs.add_response("get_log_events", {"events": []})

    with pytest.raises(TaskFailed, match="stopped before its command ran: CannotPullContainerError"):
        run_command(environment(session), ["version"], Progress())


def test_a_task_past_its_timeout_is_stopped(session, stub):
    ecs, logs = stub("ecs"), stub("logs")
    ecs.add_response("run_task", task("RUNNING"))
    for _ in range(3):
        logs.add_response("get_log_events", {"events": []})
        ecs.add_response("describe_tasks", task("RUNNING"))
    logs.add_response("get_log_events", {"events": []})
    ecs.add_response("stop_task", {}, {"cluster": "c", "task": TASK,
                                      "reason": "airhost: timed out after 12s"})

    with pytest.raises(TaskTimeout, match="longer than 12s"):
        run_command(environment(session), ["dags", "test", "etl"], Progress(), timeout=12)


def test_ecs_refusing_to_place_a_task_is_reported(session, stub):
    stub("ecs").add_response("run_task", {"tasks": [], "failures": [
        {"arn": "arn:cluster", "reason": "RESOURCE:MEMORY"}]})

    with pytest.raises(TaskFailed, match="RESOURCE:MEMORY"):
        run_command(environment(session), ["version"], Progress())


def test_services_that_never_settle_are_named(session, stub):
    ecs = stub("ecs")
    for _ in range(4):  # at 0, 5, 10 and 15 seconds
        ecs.add_response("describe_services", {"services": [{
            "serviceName": "svc", "status": "ACTIVE", "desiredCount": 2, "runningCount": 1,
            "pendingCount": 1, "deployments": [{"status": "PRIMARY",
                                                "rolloutState": "IN_PROGRESS"}]}]})

    with pytest.raises(WaitTimeout, match="svc 1/2"):
        Ecs(session).wait_stable("c", ["svc"], timeout=10)


def test_ctrl_c_while_following_stops_the_task(session, stub):
    from airhost.errors import Aborted

    class Interrupting(Progress):
        def detail(self, message):
            raise KeyboardInterrupt

    ecs, logs = stub("ecs"), stub("logs")
    ecs.add_response("run_task", task("RUNNING"))
    ecs.add_response("stop_task", {}, {"cluster": "c", "task": TASK,
                                      "reason": "airhost: interrupted by the user"})
    with pytest.raises(Aborted, match="task abc123 was stopped"):
        run_command(environment(session), ["dags", "backfill", "etl"], Interrupting())
