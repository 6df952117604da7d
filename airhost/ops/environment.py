"""A deployed ECS environment as its stacks describe it: names, outputs, and the AWS facades.

Everything ``deploy`` and ``ops`` know about a running environment comes from its stacks' Outputs
(documented in ``airhost.render.ecs``) read here, so a change of output names touches one module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from airhost.aws.autoscaling import AutoScaling
from airhost.aws.cloudformation import CloudFormation, Stack
from airhost.aws.ecs import Ecs
from airhost.aws.errors import NotDeployed
from airhost.aws.logs import Logs
from airhost.aws.rds import Rds
from airhost.aws.s3 import Buckets
from airhost.aws.secrets import Secrets
from airhost.aws.session import AwsSession, Clock
from airhost.aws.ssm import Parameters
from airhost.config.models import Environment
from airhost.errors import UsageError
from airhost.render.stacks import Layer, stack_name

# The order an ECS environment's stacks are deployed in (airhost.render.ecs): the airflow stack takes
# the load balancer's target group from the access stack. Deletion goes the other way.
DEPLOY_ORDER: tuple[Layer, ...] = ("network", "data", "access", "airflow")


@dataclass(frozen=True)
class Facts:
    """What the stacks' outputs say about a deployed environment."""

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

    def log_stream(self, component: str, task_id: str) -> str:
        return f"{component}/{self.container}/{task_id}"


def split_list(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def parse_services(value: str) -> dict[str, str]:
    pairs = (item.split("=", 1) for item in split_list(value) if "=" in item)
    return {component.strip(): service.strip() for component, service in pairs}


class AwsEnvironment:
    """One ECS environment in its account and region, with a facade per AWS service."""

    def __init__(self, env: Environment, *, session: AwsSession | None = None,
                 clock: Clock | None = None) -> None:
        if env.target != "ecs":
            raise UsageError(f"environment '{env.name}' has target {env.target}, not ecs",
                             hint="this command works on ECS environments")
        self.env = env
        self.session = session or AwsSession(env.region or "", clock=clock)
        self.clock = self.session.clock
        self.cloudformation = CloudFormation(self.session)
        self.ecs = Ecs(self.session)
        self.logs = Logs(self.session)
        self.rds = Rds(self.session)
        self.parameters = Parameters(self.session)
        self.secrets = Secrets(self.session)
        self.buckets = Buckets(self.session)
        self.autoscaling = AutoScaling(self.session)

    @property
    def label(self) -> str:
        return f"{self.env.project}-{self.env.name} ({self.session.region})"

    def stack_name(self, layer: Layer) -> str:
        return stack_name(self.env.project, self.env.name, layer)

    def parameter_name(self, record: str) -> str:
        return f"/airhost/{self.env.project}/{self.env.name}/{record}"

    def stacks(self) -> dict[Layer, Stack | None]:
        return {layer: self.cloudformation.describe(self.stack_name(layer)) for layer in DEPLOY_ORDER}

    def refresh(self) -> None:
        """Forget the facts read so far: the stacks changed (an upgrade, a restore)."""
        self.__dict__.pop("facts", None)

    @cached_property
    def facts(self) -> Facts:
        """The deployed environment's facts; NotDeployed if its airflow stack is missing."""
        stacks = self.stacks()
        airflow = stacks.get("airflow")
        if airflow is None or airflow.never_created or not airflow.outputs:
            raise NotDeployed(
                f"environment {self.env.name} is not deployed in {self.session.region}: "
                f"stack {self.stack_name('airflow')} does not exist",
                hint=f"run 'airhost deploy {self.env.name}' (or check the region and AWS_PROFILE)")
        return facts_from(stacks)


def facts_from(stacks: dict[Layer, Stack | None]) -> Facts:
    airflow = stacks["airflow"].outputs  # type: ignore[union-attr]
    data = stacks["data"].outputs if stacks.get("data") else {}
    access = stacks["access"].outputs if stacks.get("access") else {}
    return Facts(
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
    )
