"""ECS services whose tasks stop: what moto leaves out, and a way to make a service crash-loop.

moto starts no task for a service and ignores ``ListTasks``'s ``serviceName``. Real ECS lists a
service's tasks (those in its ``service:<name>`` group), counts each task that stops in the primary
deployment's ``failedTasks``, keeps stopped tasks about an hour, and replaces them. ``crash_loop``
puts a service in that state: its tasks stopped with an exit code and ECS's reason, each with the
lines it logged, the deployment counting them, nothing running.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone

from moto.core import DEFAULT_ACCOUNT_ID
from moto.ecs import models as ecs_models
from moto.logs import models as logs_models

ESSENTIAL_EXITED = "Essential container in task exited"
CRASHING: set[str] = set()  # services whose every new task stops at start (by ARN)


def patch_service_tasks() -> None:
    original = ecs_models.EC2ContainerServiceBackend.list_tasks

    def list_tasks(self, cluster_str=None, container_instance=None, family=None, started_by=None,
                   service_name=None, desiredStatus=None):  # noqa: N803 - moto's own name
        tasks = original(self, cluster_str, container_instance, family, started_by, service_name,
                         desiredStatus)
        if service_name:
            name = service_name.rsplit("/", 1)[-1]
            tasks = [task for task in tasks if task.group == f"service:{name}"]
        return tasks

    ecs_models.EC2ContainerServiceBackend.list_tasks = list_tasks
    original_update = ecs_models.EC2ContainerServiceBackend.update_service

    def update_service(self, *args, **kwargs):
        service = original_update(self, *args, **kwargs)
        if service.arn in CRASHING:  # a new count does not make a failing task start
            _not_running(service)
        return service

    ecs_models.EC2ContainerServiceBackend.update_service = update_service


def _not_running(service) -> None:
    service.running_count = 0
    service.pending_count = service.desired_count
    service.deployments[0].update(rolloutState="IN_PROGRESS", runningCount=0,
                                  pendingCount=service.desired_count)


def crash_loop(region: str, cluster: str, service: str, *, tasks: int, exit_code: int,
               lines: list[str], log_group: str, stream_prefix: str, container: str) -> None:
    backend = ecs_models.ecs_backends[DEFAULT_ACCOUNT_ID][region]
    found = backend.services[f"{cluster}:{service}"] if f"{cluster}:{service}" in backend.services \
        else next(s for s in backend.services.values() if s.name == service)
    logs = logs_models.logs_backends[DEFAULT_ACCOUNT_ID][region]
    for number in range(tasks):
        task = ecs_models.Task(
            backend._get_cluster(cluster), backend.describe_task_definition(found.task_definition),
            None, {}, backend, launch_type="FARGATE", overrides={}, started_by=found.deployments[0]["id"],
            group=f"service:{found.name}")
        task.last_status = task.desired_status = "STOPPED"
        task.stopped_reason = ESSENTIAL_EXITED
        task.stopped_at = datetime.fromtimestamp(time.time() - (tasks - number) / 1000, tz=timezone.utc)
        for each in task.containers:
            each.exitCode = exit_code
        backend.tasks.setdefault(found.cluster_name, {})[task.task_arn] = task
        stream = f"{stream_prefix}/{container}/{task.id}"
        logs.create_log_stream(log_group, stream)
        now = int(time.time() * 1000)
        logs.put_log_events(log_group, stream, [{"timestamp": now + i, "message": line}
                                                for i, line in enumerate(lines)])
    found.deployments[0]["failedTasks"] = tasks
    _not_running(found)
    CRASHING.add(found.arn)
