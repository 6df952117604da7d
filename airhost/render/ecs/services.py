"""ECS services of the airflow stack: how each component keeps running.

Each service runs one task definition with a desired count given as a stack parameter (0 on the
first create, see the package docs), rolls back a failed deployment through the circuit breaker,
and runs in the private subnets with the tasks' security group and no public address.
"""

from __future__ import annotations

from airhost.config.models import Environment
from airhost.render.common import Json, Template, get_att, ref, tags
from airhost.render.network import API_PORT
from airhost.render.ecs.tasks import CONTAINER


def camel(name: str) -> str:
    """api-server → ApiServer: the spelling of a component in logical ids, parameters and outputs."""
    return "".join(part.capitalize() for part in name.split("-"))


def capacity_strategy(env: Environment) -> list[Json]:
    provider = "FARGATE" if env.ecs.capacity == "fargate" else ref("CapacityProvider")
    return [{"CapacityProvider": provider, "Weight": 1}]



def service(template: Template, env: Environment, name: str, task: str, description: str) -> None:
    """Add the ECS service ``name`` running task definition ``task``."""
    key = camel(name)
    template.parameter(f"DesiredCount{key}", "Number",
                       f"{name} tasks; 0 until the database is migrated (see the package docs)",
                       Default="0", MinValue=0)
    standalone = name == "standalone"
    properties: Json = {
        "Cluster": ref("Cluster"),
        "TaskDefinition": ref(task),
        "DesiredCount": ref(f"DesiredCount{key}"),
        "CapacityProviderStrategy": capacity_strategy(env),
        "NetworkConfiguration": {"AwsvpcConfiguration": {
            "Subnets": ref("SubnetIds"), "SecurityGroups": [ref("TaskSecurityGroupId")],
            "AssignPublicIp": "DISABLED"}},
        # A standalone task holds the only scheduler: replace it rather than run two side by side,
        # and keep the instances to the size of one task.
        "DeploymentConfiguration": {
            "DeploymentCircuitBreaker": {"Enable": True, "Rollback": True},
            "MinimumHealthyPercent": 0 if standalone else 100,
            "MaximumPercent": 100 if standalone else 200},
        "EnableExecuteCommand": env.ecs.exec,
        "EnableECSManagedTags": True,
        "PropagateTags": "SERVICE",
        "Tags": tags(**{"airhost:component": name}),
    }
    serves_api = name in ("standalone", "api-server")
    if serves_api and env.access.mode == "alb":
        properties["LoadBalancers"] = [{"ContainerName": CONTAINER, "ContainerPort": API_PORT,
                                        "TargetGroupArn": ref("TargetGroupArn")}]
        properties["HealthCheckGracePeriodSeconds"] = 300
    if name == "api-server":
        properties["ServiceRegistries"] = [{"RegistryArn": get_att("ApiServerDiscovery", "Arn")}]
    depends = ["ClusterCapacity"] if env.ecs.capacity == "managed-instances" else []
    extra = {"DependsOn": depends} if depends else {}
    template.add(f"{key}Service", "AWS::ECS::Service", description, properties, **extra)
