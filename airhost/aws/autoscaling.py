"""Application Auto Scaling of ECS services: read and set a service's min and max tasks, and
suspend or resume what scales it (scheduled actions, scaling policies)."""

from __future__ import annotations

from dataclasses import dataclass

from airhost.aws.session import AwsSession

NAMESPACE = "ecs"
DIMENSION = "ecs:service:DesiredCount"
SUSPENDED_STATE = ("ScheduledScalingSuspended", "DynamicScalingInSuspended",
                   "DynamicScalingOutSuspended")


@dataclass(frozen=True)
class ScalableTarget:
    resource_id: str  # service/<cluster>/<service>
    minimum: int
    maximum: int
    suspended: bool = False  # any of its scaling (scheduled, in, out) suspended

    @property
    def service(self) -> str:
        return self.resource_id.rsplit("/", 1)[-1]


def resource_id(cluster: str, service: str) -> str:
    return f"service/{cluster}/{service}"


class AutoScaling:
    def __init__(self, session: AwsSession) -> None:
        self.session = session

    def targets(self, cluster: str, services: list[str]) -> list[ScalableTarget]:
        """The scalable targets of these services (those that autoscale)."""
        if not services:
            return []
        found = self.session.pages(
            "application-autoscaling", "describe_scalable_targets", "ScalableTargets",
            ServiceNamespace=NAMESPACE, ScalableDimension=DIMENSION,
            ResourceIds=[resource_id(cluster, service) for service in services])
        return [ScalableTarget(raw["ResourceId"], raw["MinCapacity"], raw["MaxCapacity"],
                               any((raw.get("SuspendedState") or {}).values()))
                for raw in found]

    def set_bounds(self, target_resource_id: str, minimum: int, maximum: int) -> None:
        self.session.call("application-autoscaling", "register_scalable_target",
                          ServiceNamespace=NAMESPACE, ScalableDimension=DIMENSION,
                          ResourceId=target_resource_id, MinCapacity=minimum, MaxCapacity=maximum)

    def set_suspended(self, target_resource_id: str, suspended: bool) -> None:
        """Suspend (or resume) all of the target's scaling: its scheduled actions and its policies'
        scale-in and scale-out. Its bounds stay as they are."""
        self.session.call("application-autoscaling", "register_scalable_target",
                          ServiceNamespace=NAMESPACE, ScalableDimension=DIMENSION,
                          ResourceId=target_resource_id,
                          SuspendedState={key: suspended for key in SUSPENDED_STATE})
