"""A deployed ECS environment as its stacks' outputs describe it.

Everything the ECS deployment knows about a running environment comes from the outputs documented
in ``airhost.render.ecs``, read here, so a change of output names touches one module.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from airhost.aws.cloudformation import Stack
from airhost.render.stacks import Layer


@dataclass(frozen=True)
class EcsFacts:
    """What the stacks' outputs say about a deployed ECS environment."""

    cluster: str
    capacity_provider: str
    utils_task_definition: str
    container: str
    log_group: str
    subnets: list[str]
    security_groups: list[str]
    services: dict[str, str]  # component → ECS service name
    image: str = ""
    database_instance: str | None = None
    admin_secret: str | None = None
    buckets: dict[str, str] = field(default_factory=dict)  # LogsBucket/DagsBucket → name
    url: str | None = None
    bounds: dict[str, tuple[int, int]] = field(default_factory=dict)  # component → autoscaling min, max

    def log_stream(self, component: str, task_id: str) -> str:
        return f"{component}/{self.container}/{task_id}"


def split_list(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def parse_services(value: str) -> dict[str, str]:
    pairs = (item.split("=", 1) for item in split_list(value) if "=" in item)
    return {component.strip(): service.strip() for component, service in pairs}


def parse_bounds(value: str) -> dict[str, tuple[int, int]]:
    """``worker=0-8,scheduler=2-2`` as {component: (min, max)}."""
    bounds = {}
    for component, _, span in (item.partition("=") for item in split_list(value)):
        low, _, high = span.partition("-")
        if low.isdigit() and high.isdigit():
            bounds[component.strip()] = (int(low), int(high))
    return bounds


def facts_from(stacks: dict[Layer, Stack | None]) -> EcsFacts:
    airflow = stacks["airflow"].outputs  # type: ignore[union-attr]
    data = stacks["data"].outputs if stacks.get("data") else {}
    access = stacks["access"].outputs if stacks.get("access") else {}
    return EcsFacts(
        cluster=airflow["ClusterName"],
        capacity_provider=airflow.get("CapacityProvider", "FARGATE"),
        utils_task_definition=airflow["UtilsTaskDefinitionArn"],
        container=airflow.get("ContainerName", "airflow"),
        log_group=airflow["LogGroupName"],
        subnets=split_list(airflow.get("SubnetIds", "")),
        security_groups=split_list(airflow.get("TaskSecurityGroupId", "")),
        services=parse_services(airflow.get("Services", "")),
        image=airflow.get("Image", ""),
        database_instance=data.get("DatabaseInstanceId"),
        admin_secret=data.get("AdminPasswordSecretArn"),
        buckets={key: data[key] for key in ("LogsBucket", "DagsBucket") if data.get(key)},
        url=access.get("Url"),
        bounds=parse_bounds(airflow.get("ScalingBounds", "")),
    )
