"""ECS as airhost uses it: one-off tasks, services and their counts, waits.

Tasks run on the environment's capacity: ``FARGATE`` as a launch type, anything else as a capacity
provider strategy (ECS Managed Instances). Waits poll with the session's clock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from airhost.aws.errors import AwsApiError, TaskFailed, WaitTimeout
from airhost.aws.session import AwsSession


@dataclass(frozen=True)
class TaskState:
    arn: str
    status: str  # lastStatus: PROVISIONING … RUNNING … STOPPED
    exit_code: int | None  # of the named container, once stopped
    stopped_reason: str | None = None
    container_reason: str | None = None
    stopped_at: float | None = None  # epoch seconds

    @property
    def task_id(self) -> str:
        return self.arn.rsplit("/", 1)[-1]

    @property
    def stopped(self) -> bool:
        return self.status in ("STOPPED", "DELETED")


@dataclass(frozen=True)
class ServiceState:
    name: str
    status: str
    desired: int
    running: int
    pending: int
    deployments: int
    rollout: str | None = None  # the primary deployment's rolloutState
    failed_tasks: int = 0  # tasks of the primary deployment that stopped unexpectedly

    @property
    def stable(self) -> bool:
        return (self.status == "ACTIVE" and self.running == self.desired and self.pending == 0
                and self.deployments <= 1 and self.rollout in (None, "COMPLETED"))


class Ecs:
    def __init__(self, session: AwsSession) -> None:
        self.session = session
        self.clock = session.clock

    def _call(self, operation: str, **kwargs: Any) -> dict[str, Any]:
        return self.session.call("ecs", operation, **kwargs)

    def run_task(self, *, cluster: str, task_definition: str, container: str, command: list[str],
                 subnets: list[str], security_groups: list[str], capacity_provider: str,
                 started_by: str = "airhost") -> TaskState:
        placement: dict[str, Any] = (
            {"launchType": "FARGATE"} if capacity_provider in ("", "FARGATE") else
            {"capacityProviderStrategy": [{"capacityProvider": capacity_provider, "weight": 1}]})
        response = self._call(
            "run_task", cluster=cluster, taskDefinition=task_definition, count=1,
            startedBy=started_by[:128],
            networkConfiguration={"awsvpcConfiguration": {
                "subnets": subnets, "securityGroups": security_groups, "assignPublicIp": "DISABLED"}},
            overrides={"containerOverrides": [{"name": container, "command": command}]},
            **placement,
        )
        if response.get("failures") or not response.get("tasks"):
            reasons = "; ".join(f"{f.get('arn', '')} {f.get('reason', '')} {f.get('detail', '')}".strip()
                                for f in response.get("failures", [])) or "no task was started"
            raise TaskFailed(f"ECS could not start the task on cluster {cluster}: {reasons}",
                             hint="check the cluster's capacity and the task definition")
        return _task(response["tasks"][0], container)

    def describe_task(self, cluster: str, arn: str, container: str) -> TaskState:
        response = self._call("describe_tasks", cluster=cluster, tasks=[arn])
        if not response.get("tasks"):
            raise TaskFailed(f"task {arn} is not known to cluster {cluster}",
                             hint="ECS forgets stopped tasks after about an hour")
        return _task(response["tasks"][0], container)

    def stop_task(self, cluster: str, arn: str, reason: str) -> None:
        self._call("stop_task", cluster=cluster, task=arn, reason=reason[:255])

    def describe_services(self, cluster: str, names: list[str]) -> dict[str, ServiceState]:
        states: dict[str, ServiceState] = {}
        for start in range(0, len(names), 10):  # the API takes ten at a time
            try:
                response = self._call("describe_services", cluster=cluster,
                                      services=names[start:start + 10])
            except AwsApiError as error:
                if error.code == "ClusterNotFoundException":
                    return {}
                raise
            for raw in response.get("services", []):
                states[raw["serviceName"]] = _service(raw)
        return states

    def set_desired_count(self, cluster: str, service: str, count: int) -> None:
        self._call("update_service", cluster=cluster, service=service, desiredCount=count)

    def stopped_tasks(self, cluster: str, service: str, container: str) -> list[TaskState]:
        """The service's stopped tasks ECS still remembers (about an hour), newest first."""
        arns = self._call("list_tasks", cluster=cluster, serviceName=service,
                          desiredStatus="STOPPED").get("taskArns", [])[:100]
        if not arns:
            return []
        tasks = [_task(raw, container) for raw in
                 self._call("describe_tasks", cluster=cluster, tasks=arns).get("tasks", [])]
        return sorted(tasks, key=lambda task: task.stopped_at or 0.0, reverse=True)

    def wait_stable(self, cluster: str, names: list[str], *, timeout: float,
                    check: Callable[[dict[str, ServiceState]], None] | None = None,
                    ) -> dict[str, ServiceState]:
        """Poll until every named service runs its desired count with one deployment; ``check``
        sees each poll's states and may end the wait with an error."""
        deadline = self.clock.monotonic() + timeout
        while True:
            states = self.describe_services(cluster, names)
            if states and all(state.stable for state in states.values()):
                return states
            if check is not None:
                check(states)
            if self.clock.monotonic() > deadline:
                waiting = ", ".join(f"{s.name} {s.running}/{s.desired}" for s in states.values()
                                    if not s.stable)
                raise WaitTimeout(f"services not stable after {timeout:.0f}s: {waiting}",
                                  hint="see why with 'airhost logs' and the ECS console's events")
            self.clock.sleep(self.clock.poll_seconds)


def _task(raw: dict[str, Any], container: str) -> TaskState:
    containers = raw.get("containers", [])
    match = next((c for c in containers if c.get("name") == container), None)
    match = match or (containers[0] if containers else {})
    return TaskState(
        arn=raw["taskArn"], status=raw.get("lastStatus", "PROVISIONING"),
        exit_code=match.get("exitCode"), stopped_reason=raw.get("stoppedReason") or None,
        container_reason=match.get("reason"),
        stopped_at=raw["stoppedAt"].timestamp() if hasattr(raw.get("stoppedAt"), "timestamp")
        else None,
    )


def _service(raw: dict[str, Any]) -> ServiceState:
    deployments = raw.get("deployments", [])
    primary = next((d for d in deployments if d.get("status") == "PRIMARY"), {})
    return ServiceState(
        name=raw["serviceName"], status=raw.get("status", "ACTIVE"),
        desired=raw.get("desiredCount", 0), running=raw.get("runningCount", 0),
        pending=raw.get("pendingCount", 0), deployments=len(deployments),
        rollout=primary.get("rolloutState"), failed_tasks=int(primary.get("failedTasks") or 0),
    )
