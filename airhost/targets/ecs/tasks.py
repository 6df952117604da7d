"""One-off Airflow commands as ECS tasks: run, stream the logs, return the exit code.

The task uses the utils task definition (same image, settings and secrets as the components) in the
environment's private subnets and task security group. Its CloudWatch stream is read while it runs,
so the output appears as it is written; the container's exit code is the command's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from airhost.aws.ecs import TaskState
from airhost.aws.errors import TaskFailed, TaskTimeout
from airhost.errors import Aborted
from airhost.progress import Progress
from airhost.targets.base import CommandResult

if TYPE_CHECKING:
    from airhost.targets.ecs.deployment import EcsDeployment

UTILS = "utils"
# After a task stops, its last lines can reach CloudWatch a moment later.
LOG_GRACE_READS = 2


def run_command(aws: EcsDeployment, command: list[str], progress: Progress, *,
                timeout: float = 3600, started_by: str = "airhost-run") -> CommandResult:
    """Run ``command`` (Airflow CLI arguments, or ``bash -c ...``) and wait for its exit code."""
    facts = aws.ecs_facts
    task = aws.ecs.run_task(
        cluster=facts.cluster, task_definition=facts.utils_task_definition,
        container=facts.container, command=command, subnets=facts.subnets,
        security_groups=facts.security_groups, capacity_provider=facts.capacity_provider,
        started_by=started_by)
    stream = facts.log_stream(UTILS, task.task_id)
    try:
        progress.detail(f"task {task.task_id} started; logs: {facts.log_group} {stream}")
        final = _follow(aws, task, stream, progress, timeout=timeout)
    except KeyboardInterrupt:
        aws.ecs.stop_task(facts.cluster, task.arn, "airhost: interrupted by the user")
        raise Aborted(f"interrupted: task {task.task_id} was stopped") from None
    if final.exit_code is None:
        reason = final.container_reason or final.stopped_reason or "no reason given"
        raise TaskFailed(f"task {task.task_id} stopped before its command ran: {reason}",
                         hint="check the image, the task's secrets and the subnets' route to ECR")
    return CommandResult(task.task_id, final.exit_code, stream, final.stopped_reason)


def _follow(aws: EcsDeployment, task: TaskState, stream: str, progress: Progress, *,
            timeout: float) -> TaskState:
    facts, clock = aws.ecs_facts, aws.clock
    deadline = clock.monotonic() + timeout
    token: str | None = None
    state = task
    while True:
        lines, token = aws.logs.read_stream(facts.log_group, stream, token)
        for line in lines:
            progress.log_line(line.message)
        if state.stopped:
            break
        if clock.monotonic() > deadline:
            aws.ecs.stop_task(facts.cluster, task.arn, f"airhost: timed out after {timeout:.0f}s")
            raise TaskTimeout(f"task {task.task_id} ran longer than {timeout:.0f}s and was stopped",
                              hint="pass a longer --timeout")
        clock.sleep(clock.poll_seconds)
        state = aws.ecs.describe_task(facts.cluster, task.arn, facts.container)
    for _ in range(LOG_GRACE_READS):
        lines, token = aws.logs.read_stream(facts.log_group, stream, token)
        for line in lines:
            progress.log_line(line.message)
        if not lines:
            break
    return state
