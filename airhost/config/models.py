"""The typed model of ``airhost.yaml``.

A project file has a name, shared sections (``airflow``, ``dags``, ``database``, ...) and named
environments. Each environment inherits every shared section and overrides what it sets; the result is
one ``Environment``, fully validated, which is all the rest of airhost ever reads.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, field_validator, model_validator

from airhost.config.base import (  # noqa: F401 - re-exported: the model's public names
    ARN_PATTERN, CLOUD_TARGETS, NAME_PATTERN, REGION_PATTERN, RESERVED_AIRFLOW_SETTINGS, Executor,
    Scalar, StrictModel, Target, _check_cidr, _check_name)
from airhost.config.infrastructure import (  # noqa: F401
    FARGATE_MEMORY, AccessSettings, ComponentSize, DatabaseSettings, EcsSettings,
    InstanceRequirements, NetworkSettings, OidcSettings, TailscaleSettings, fargate_size_problem)
from airhost.config.sections import (  # noqa: F401
    AirflowSettings, CelerySettings, DagsSettings, GitDags, LocalSettings, LogsSettings, MwaaSource,
    WorkerQueue, WorkersSettings)
from airhost.config.support import parse_airflow_version


# The sections an environment inherits from the top level of the file.
SHARED_SECTIONS = ("airflow", "dags", "database", "network", "ecs", "access", "workers", "celery",
                   "local", "logs", "mwaa", "region")


class Environment(StrictModel):
    """One environment, after inheriting the file's shared sections: everything airhost reads."""

    name: str
    project: str
    target: Target
    region: str | None = Field(None, description="AWS region, e.g. eu-west-1")
    airflow: AirflowSettings = Field(default_factory=AirflowSettings)
    dags: DagsSettings = Field(default_factory=DagsSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    network: NetworkSettings = Field(default_factory=NetworkSettings)
    ecs: EcsSettings = Field(default_factory=EcsSettings)
    access: AccessSettings = Field(default_factory=AccessSettings)
    workers: WorkersSettings = Field(default_factory=WorkersSettings)
    celery: CelerySettings = Field(default_factory=CelerySettings)
    local: LocalSettings = Field(default_factory=LocalSettings)
    logs: LogsSettings = Field(default_factory=LogsSettings)
    mwaa: MwaaSource | None = Field(None, description="the Amazon MWAA environment this was imported from")

    @field_validator("region")
    @classmethod
    def _region(cls, value: str | None) -> str | None:
        if value is not None and not REGION_PATTERN.match(value):
            raise ValueError(f"'{value}' is not an AWS region like eu-west-1")
        return value

    @model_validator(mode="after")
    def _target_rules(self) -> Environment:
        executor = self.airflow.executor
        if self.target in CLOUD_TARGETS and not self.region:
            raise ValueError(f"target {self.target} needs a region, e.g. region: eu-west-1")
        if executor == "ecs" and self.target != "ecs":
            raise ValueError(f"executor ecs runs tasks on ECS and needs target ecs, not {self.target}")
        if executor == "kubernetes" and self.target != "eks":
            raise ValueError(f"executor kubernetes needs target eks, not {self.target}")
        if self.target != "local" and self.database.url is not None:
            raise ValueError("database.url is for the local target; cloud targets create RDS")
        if self.target == "ecs":
            self._ecs_network_rules()
        if self.target == "ecs" and self.ecs.topology == "standalone" and executor == "ecs":
            raise ValueError(
                "executor ecs needs ecs.topology split: its tasks reach the API server through the "
                "service discovery name a split topology gives it"
            )
        if self.target == "ecs" and self.ecs.topology == "standalone" and executor == "celery":
            raise ValueError(
                "executor celery needs ecs.topology split (workers run as their own service)"
            )
        if self.target == "ecs" and executor == "celery":
            self._ecs_celery_rules()
        return self

    def _ecs_celery_rules(self) -> None:
        if self.celery.broker == "redis":
            raise ValueError(
                "celery.broker redis is not available on ECS yet (airhost renders no ElastiCache): "
                "use celery.broker: sqs"
            )
        if self.ecs.image == "official":
            raise ValueError(
                "executor celery on ECS needs packages the official image lacks (Celery's SQS "
                "transport, Airflow's DogStatsD client for the queue metrics workers scale on): "
                "set ecs.image: ecr; `airhost image build` adds them to the project's image"
            )
        if parse_airflow_version(self.airflow.version)[:2] < (3, 2):
            raise ValueError(
                f"executor celery on ECS needs Airflow 3.2 or later (airflow.version is "
                f"{self.airflow.version}): worker groups scale on the per-queue ti.queued and "
                "ti.running gauges Airflow emits since 3.2"
            )
        if self.network.nat == "none" and not self.network.vpc_id:
            raise ValueError(
                "executor celery on ECS with network.nat none: the CloudWatch agent that carries "
                "the queue metrics comes from the public ECR gallery, which needs a way out; "
                "use network.nat gateway (or an existing VPC with its own egress)"
            )

    def _ecs_network_rules(self) -> None:
        network, access = self.network, self.access
        if self.ecs.capacity == "fargate":
            sizes = {f"ecs.sizes.{name}": size for name, size in self.ecs.sizes.items()}
            if self.workers.size:
                sizes["workers.size"] = self.workers.size
            sizes.update({f"workers.queues.{name}.size": queue.size
                          for name, queue in self.workers.queues.items() if queue.size})
            for where, size in sizes.items():
                problem = fargate_size_problem(size)
                if problem:
                    raise ValueError(f"{where}: {problem}")
        if access.mode == "alb" and network.vpc_id and len(network.public_subnet_ids) < 2:
            raise ValueError(
                "access.mode alb in an existing VPC needs network.public_subnet_ids "
                "(two public subnets in two AZs for the load balancer)"
            )
        if access.mode == "tailscale" and self.ecs.topology == "split" and self.ecs.api_servers > 1:
            raise ValueError(
                "access.mode tailscale serves one API server (one Tailscale node per name): "
                "set ecs.api_servers: 1, or use access.mode alb to balance several"
            )
        if network.vpc_id or network.nat != "none":
            return
        if self.ecs.image == "official":
            raise ValueError(
                "network.nat none leaves no way to Docker Hub, where the official image lives: set "
                "ecs.image: ecr (airhost pushes the image to the project's ECR repository) or nat: gateway"
            )
        if access.mode == "tailscale":
            raise ValueError(
                "access.mode tailscale needs the internet to reach Tailscale's servers: "
                "set network.nat: gateway"
            )
        if self.dags.source == "git":
            raise ValueError("dags.source git needs the internet to reach the repository: set network.nat: gateway")

    @property
    def auth_manager(self) -> str:
        """simple on the local target, fab (users in the database) on cloud targets, unless set."""
        if self.airflow.auth_manager:
            return self.airflow.auth_manager
        return "simple" if self.target == "local" else "fab"

    @property
    def is_local(self) -> bool:
        return self.target == "local"


class ProjectFile(StrictModel):
    """The top level of airhost.yaml as written; environments are resolved by the loader."""

    project: str = Field(description="project name, used in every AWS resource name")
    airflow: dict[str, Any] = Field(default_factory=dict)
    dags: dict[str, Any] = Field(default_factory=dict)
    database: dict[str, Any] = Field(default_factory=dict)
    network: dict[str, Any] = Field(default_factory=dict)
    ecs: dict[str, Any] = Field(default_factory=dict)
    access: dict[str, Any] = Field(default_factory=dict)
    workers: dict[str, Any] = Field(default_factory=dict)
    celery: dict[str, Any] = Field(default_factory=dict)
    local: dict[str, Any] = Field(default_factory=dict)
    logs: dict[str, Any] = Field(default_factory=dict)
    mwaa: dict[str, Any] | None = None
    region: str | None = None
    environments: Annotated[dict[str, dict[str, Any]], Field(min_length=1)]

    @field_validator("project")
    @classmethod
    def _project(cls, value: str) -> str:
        return _check_name(value, "project name", 24)

    @field_validator("environments")
    @classmethod
    def _environment_names(cls, value: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        for name in value:
            _check_name(name, "environment name", 16)
        return value


def json_schema() -> dict[str, Any]:
    """JSON Schema of airhost.yaml for editors: the top level with typed sections and environments."""
    env_schema = Environment.model_json_schema()
    defs = env_schema.pop("$defs", {})
    env_props = dict(env_schema["properties"])
    env_props.pop("name")
    env_props.pop("project")
    section_props = {k: v for k, v in env_props.items() if k in SHARED_SECTIONS}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "airhost.yaml",
        "type": "object",
        "additionalProperties": False,
        "required": ["project", "environments"],
        "properties": {
            "project": {"type": "string", "pattern": NAME_PATTERN.pattern, "maxLength": 24},
            **section_props,
            "environments": {
                "type": "object",
                "minProperties": 1,
                "additionalProperties": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["target"],
                    "properties": env_props,
                },
            },
        },
        "$defs": defs,
    }
