"""EC2 Auto Scaling groups: their capacity and instances, read and set; their scheduled and
alarm-driven scaling suspended and resumed."""

from __future__ import annotations

from dataclasses import dataclass

from airhost.aws.session import AwsSession


@dataclass(frozen=True)
class GroupInstance:
    instance_id: str
    lifecycle: str  # Pending, InService, Terminating, Terminating:Wait, ...
    health: str  # Healthy, Unhealthy


@dataclass(frozen=True)
class GroupState:
    name: str
    desired: int
    minimum: int
    maximum: int
    instances: tuple[GroupInstance, ...]
    suspended: frozenset[str] = frozenset()  # its suspended scaling processes

    @property
    def in_service(self) -> list[GroupInstance]:
        return [i for i in self.instances if i.lifecycle == "InService" and i.health == "Healthy"]


# What starts or stops instances on its own: scheduled actions, and alarms' scaling policies.
SCALING_PROCESSES = ("ScheduledActions", "AlarmNotification")


class Groups:
    def __init__(self, session: AwsSession) -> None:
        self.session = session

    def describe(self, names: list[str]) -> dict[str, GroupState]:
        if not names:
            return {}
        found = {}
        for raw in self.session.pages("autoscaling", "describe_auto_scaling_groups",
                                      "AutoScalingGroups", AutoScalingGroupNames=names):
            instances = tuple(GroupInstance(i["InstanceId"], i.get("LifecycleState", ""),
                                            i.get("HealthStatus", "")) for i in raw.get("Instances", []))
            found[raw["AutoScalingGroupName"]] = GroupState(
                raw["AutoScalingGroupName"], int(raw["DesiredCapacity"]), int(raw["MinSize"]),
                int(raw["MaxSize"]), instances,
                frozenset(p["ProcessName"] for p in raw.get("SuspendedProcesses", [])))
        return found

    def set_capacity(self, name: str, desired: int, *, minimum: int | None = None,
                     maximum: int | None = None) -> None:
        """Set the group's desired capacity (and bounds, when given)."""
        request: dict = {"AutoScalingGroupName": name, "DesiredCapacity": desired}
        if minimum is not None:
            request["MinSize"] = minimum
        if maximum is not None:
            request["MaxSize"] = maximum
        self.session.call("autoscaling", "update_auto_scaling_group", **request)

    def set_suspended(self, name: str, suspended: bool) -> None:
        """Suspend (or resume) the group's scheduled actions and alarm-driven scaling policies;
        changes of its capacity through the API still apply."""
        operation = "suspend_processes" if suspended else "resume_processes"
        self.session.call("autoscaling", operation, AutoScalingGroupName=name,
                          ScalingProcesses=list(SCALING_PROCESSES))
