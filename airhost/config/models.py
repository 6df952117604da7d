"""The typed model of ``airhost.yaml``.

A project file has a name, shared sections (``airflow``, ``dags``, ``database``, ...) and named
environments. Each environment inherits every shared section and overrides what it sets; the result is
one ``Environment``, fully validated, which is all the rest of airhost ever reads.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, field_validator, model_validator

from airhost.config.schedule import ScheduleSettings
from airhost.config.base import (  # noqa: F401 - re-exported: the model's public names
    ARN_PATTERN, CLOUD_TARGETS, NAME_PATTERN, REGION_PATTERN, RESERVED_AIRFLOW_SETTINGS, Executor,
    Scalar, StrictModel, Target, _check_cidr, _check_name)
from airhost.config.eks import EksSettings, default_executor, eks_rules  # noqa: F401
from airhost.config.ec2 import Ec2Settings, ec2_rules  # noqa: F401
from airhost.config.ecs import (  # noqa: F401
    FARGATE_MEMORY, EcsSettings, InstanceRequirements, ecs_rules, fargate_size_problem)
from airhost.config.infrastructure import (  # noqa: F401
    AccessSettings, ComponentSize, DatabaseSettings, NetworkSettings, OidcSettings,
    TailscaleSettings)
from airhost.config.sections import (  # noqa: F401
    AirflowSettings, CelerySettings, DagsSettings, GitDags, LocalSettings, LogsSettings, MwaaSource,
    WorkerQueue, WorkersSettings)

# The executors each target runs, and what an executor needs where it cannot run.
EXECUTORS = {"local": ("local", "celery"), "ecs": ("local", "celery", "ecs"),
             "eks": ("kubernetes", "celery", "local"), "ec2": ("local", "celery")}
EXECUTOR_NEEDS = {"ecs": "needs target ecs: it runs each task as an ECS task",
                  "kubernetes": "needs target eks: it runs each task as a pod"}
# The targets that render ``schedule``: AWS's own schedulers park and wake ECS and EC2, the
# cluster's own CronJobs an EKS release.
SCHEDULED_TARGETS = ("ecs", "eks", "ec2")
# Each target's own rules across sections, beside its section's model.
TARGET_RULES = {"ecs": ecs_rules, "eks": eks_rules, "ec2": ec2_rules}


# The sections an environment inherits from the top level of the file.
SHARED_SECTIONS = ("airflow", "dags", "database", "network", "ecs", "eks", "ec2", "access", "workers",
                   "celery", "local", "logs", "mwaa", "region")


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
    eks: EksSettings = Field(default_factory=EksSettings)
    ec2: Ec2Settings = Field(default_factory=Ec2Settings)
    access: AccessSettings = Field(default_factory=AccessSettings)
    workers: WorkersSettings = Field(default_factory=WorkersSettings)
    celery: CelerySettings = Field(default_factory=CelerySettings)
    local: LocalSettings = Field(default_factory=LocalSettings)
    logs: LogsSettings = Field(default_factory=LogsSettings)
    schedule: ScheduleSettings | None = Field(None, description="awake hours; parked the rest")
    mwaa: MwaaSource | None = Field(None, description="the Amazon MWAA environment this was imported from")

    @model_validator(mode="before")
    @classmethod
    def _target_defaults(cls, data: Any) -> Any:
        return default_executor(data)

    @field_validator("region")
    @classmethod
    def _region(cls, value: str | None) -> str | None:
        if value is not None and not REGION_PATTERN.match(value):
            raise ValueError(f"'{value}' is not an AWS region like eu-west-1")
        return value

    @model_validator(mode="after")
    def _target_rules(self) -> Environment:
        target_rules(self)
        return self

    @property
    def auth_manager(self) -> str:
        """simple on the local target, fab (users in the database) on cloud targets, unless set."""
        if self.airflow.auth_manager:
            return self.airflow.auth_manager
        return "simple" if self.target == "local" else "fab"

    @property
    def is_local(self) -> bool:
        return self.target == "local"


def target_rules(env: Environment) -> None:
    """What holds only on ``env``'s target, across sections; ValueError says what does not."""
    executor = env.airflow.executor
    if env.target in CLOUD_TARGETS and not env.region:
        raise ValueError(f"target {env.target} needs a region, e.g. region: eu-west-1")
    allowed = EXECUTORS[env.target]
    if executor not in allowed:
        needs = EXECUTOR_NEEDS.get(executor, f"does not run on target {env.target}")
        raise ValueError(f"executor {executor} {needs}; target {env.target} runs executor "
                         + " or ".join(allowed))
    if not env.is_local and env.database.url is not None:
        raise ValueError("database.url is for the local target; cloud targets create RDS")
    if env.schedule is not None and env.target not in SCHEDULED_TARGETS:
        raise ValueError(
            f"schedule: target {env.target} has no scheduled parking"
            + (" — a local environment runs while 'airhost up' runs; stop it with 'airhost down'"
               if env.is_local else
               " yet; park it by hand with 'airhost scale ENV --to-zero' and '--resume'")
            + "; schedule is for target " + " or ".join(SCHEDULED_TARGETS))
    rules = TARGET_RULES.get(env.target)
    if rules:
        rules(env)


class ProjectFile(StrictModel):
    """The top level of airhost.yaml as written; environments are resolved by the loader."""

    project: str = Field(description="project name, used in every AWS resource name")
    airflow: dict[str, Any] = Field(default_factory=dict)
    dags: dict[str, Any] = Field(default_factory=dict)
    database: dict[str, Any] = Field(default_factory=dict)
    network: dict[str, Any] = Field(default_factory=dict)
    ecs: dict[str, Any] = Field(default_factory=dict)
    eks: dict[str, Any] = Field(default_factory=dict)
    ec2: dict[str, Any] = Field(default_factory=dict)
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
