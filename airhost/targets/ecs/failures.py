"""A component whose tasks stop at every start: said at once, with ECS's reason and its last lines.

ECS replaces a service's task that stops, and counts each in the primary deployment's
``failedTasks``; the deployment circuit breaker rolls the service back only after several (at
least three, half the desired count up to 200), minutes later. Two failed tasks of a deployment
that still runs fewer than it wants say that one restart did not help: the wait ends there with the
component's name, the newest stopped task's reason and exit code, and the last lines it logged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from airhost.aws.ecs import ServiceState, TaskState
from airhost.errors import ComponentFailing

if TYPE_CHECKING:
    from airhost.targets.ecs.deployment import EcsDeployment

CRASH_LOOP_TASKS = 2
TAIL_LINES = 15


def is_crash_looping(state: ServiceState) -> bool:
    return state.failed_tasks >= CRASH_LOOP_TASKS and state.running < state.desired


def crash_loop_error(aws: EcsDeployment, component: str, state: ServiceState) -> ComponentFailing:
    facts = aws.ecs_facts
    stopped = aws.ecs.stopped_tasks(facts.cluster, state.name, facts.container)
    return ComponentFailing(
        f"{component} exits at start: ECS has stopped {state.failed_tasks} of its tasks since this "
        f"deployment began ({state.running}/{state.desired} running); "
        f"{last_task(aws, component, stopped[0] if stopped else None)}",
        hint=crash_loop_hint(aws, component))


def failed_at_start(aws: EcsDeployment, since: float) -> tuple[str, str] | None:
    """After a rolled-back stack: the component whose tasks kept exiting since ``since`` (epoch
    seconds) and what to say of it (the newest one's reason and lines), when one did."""
    facts = aws.ecs_facts
    for component, service in sorted(facts.services.items()):
        exited = [task for task in aws.ecs.stopped_tasks(facts.cluster, service, facts.container)
                  if task.exit_code not in (None, 0) and (task.stopped_at or 0) >= since]
        if len(exited) >= CRASH_LOOP_TASKS:
            return component, (f"{component} exits at start: {len(exited)} of its tasks stopped "
                               f"during the update; {last_task(aws, component, exited[0])}")
    return None


def last_task(aws: EcsDeployment, component: str, task: TaskState | None) -> str:
    if task is None:
        return "ECS no longer lists its stopped tasks."
    facts = aws.ecs_facts
    reason = task.container_reason or task.stopped_reason or "no reason given"
    code = f"exit code {task.exit_code}" if task.exit_code is not None else "no exit code"
    lines, _ = aws.logs.read_stream(facts.log_group, facts.log_stream(component, task.task_id), None)
    tail = "\n".join(f"    {line.message}" for line in lines[-TAIL_LINES:]) or "    (it logged nothing)"
    return f"the last one stopped with {code}: {reason}. The last lines of its log:\n{tail}\n"


def crash_loop_hint(aws: EcsDeployment, component: str) -> str:
    return (f"fix what the log names (airflow.config, a requirement, the image), then run "
            f"'airhost deploy {aws.env.name}' again; ECS's circuit breaker rolls the service back "
            f"to its previous task definition meanwhile; more: 'airhost logs {aws.env.name} "
            f"{component}'")
