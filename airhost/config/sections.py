"""The sections of airhost.yaml about Airflow itself: version, DAGs, workers, local, logs."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from airhost.config import support
from airhost.config.base import RESERVED_AIRFLOW_SETTINGS, Executor, Scalar, StrictModel, _check_name
from airhost.config.infrastructure import ComponentSize


class AirflowSettings(StrictModel):
    """Which Airflow runs and how it is configured."""

    version: str = Field(support.DEFAULT_AIRFLOW_VERSION, description="Apache Airflow release, e.g. 3.3.2")
    python: str = Field(support.DEFAULT_PYTHON, description="Python version of the image and virtualenv")
    executor: Executor = Field("local", description="Airflow executor: local, celery, ecs or kubernetes")
    auth_manager: Literal["simple", "fab"] | None = Field(
        None, description="simple (local default) or fab (cloud default, users in the database)"
    )
    requirements: str | None = Field(
        "requirements.txt", description="pip requirements file, relative to airhost.yaml"
    )
    constraints: str | None = Field(
        None, description="your own pip constraints file, relative to airhost.yaml (default: the "
                          "release's own constraint file, or its dependencies as of its release)"
    )
    plugins: str | None = Field("plugins", description="plugins folder, relative to airhost.yaml")
    extras: list[str] = Field(
        default_factory=list, description="extra apache-airflow extras to install (e.g. slack)"
    )
    config: dict[str, dict[str, Scalar]] = Field(
        default_factory=dict, description="extra airflow.cfg settings: section -> key -> value"
    )

    @field_validator("version")
    @classmethod
    def _supported_version(cls, value: str) -> str:
        support.parse_airflow_version(value)
        return value.strip()

    @field_validator("python")
    @classmethod
    def _supported_python(cls, value: str) -> str:
        if value not in support.PYTHON_VERSIONS:
            raise ValueError(
                f"Python {value} has no official Airflow image: use one of "
                + ", ".join(support.PYTHON_VERSIONS)
            )
        return value

    @field_validator("extras")
    @classmethod
    def _extras_are_names(cls, value: list[str]) -> list[str]:
        for extra in value:
            if not re.match(r"^[a-z0-9][a-z0-9._-]*$", extra):
                raise ValueError(f"'{extra}' is not an extra name like 'slack' or 'google'")
        return value

    @field_validator("config")
    @classmethod
    def _config_keys(cls, value: dict[str, dict[str, Scalar]]) -> dict[str, dict[str, Scalar]]:
        for section, settings in value.items():
            if not re.match(r"^[a-z][a-z0-9_]*$", section):
                raise ValueError(f"'{section}' is not an airflow.cfg section name like 'core'")
            for key in settings:
                if not re.match(r"^[a-z][a-z0-9_]*$", key):
                    raise ValueError(f"'{section}.{key}' is not an airflow.cfg key like 'parallelism'")
                reason = RESERVED_AIRFLOW_SETTINGS.get((section, key))
                if reason:
                    raise ValueError(f"'{section}.{key}' cannot be set here: {reason}")
        return value


class GitDags(StrictModel):
    """A Git repository Airflow's Git DAG bundle reads."""

    url: str = Field(description="repository URL, https:// or git@")
    branch: str = Field("main", description="branch or tag to track")
    subdir: str = Field("dags", description="folder of DAGs inside the repository")

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not re.match(r"^(https://|git@|ssh://|file://)", value):
            raise ValueError(f"'{value}' is not a Git URL (https://..., git@..., ssh://...)")
        if re.match(r"^https://[^/@]+:[^/@]+@", value):
            raise ValueError("the Git URL contains a password: keep credentials out of airhost.yaml")
        return value


class DagsSettings(StrictModel):
    """Where DAGs come from."""

    source: Literal["bundle", "image", "git"] = Field(
        "bundle", description="bundle (synced, no image rebuild), image (baked in) or git"
    )
    folder: str = Field("dags", description="DAG folder, relative to airhost.yaml")
    refresh_seconds: int = Field(10, ge=1, le=3600, description="how often Airflow looks for changes")
    git: GitDags | None = None

    @model_validator(mode="after")
    def _git_needs_url(self) -> DagsSettings:
        if self.source == "git" and self.git is None:
            raise ValueError("dags.source is git but dags.git is missing: add dags.git.url")
        return self


class WorkerQueue(StrictModel):
    """A Celery queue served by its own group of workers."""

    min: int = Field(0, ge=0, le=500)
    max: int = Field(10, ge=1, le=500)
    tasks_per_worker: int = Field(16, ge=1, le=256)
    size: ComponentSize | None = None

    @model_validator(mode="after")
    def _bounds(self) -> WorkerQueue:
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) is larger than max ({self.max})")
        return self


class WorkersSettings(WorkerQueue):
    """Celery workers of the default queue, and extra queues with their own groups."""

    queues: dict[str, WorkerQueue] = Field(default_factory=dict)

    @field_validator("queues")
    @classmethod
    def _queue_names(cls, value: dict[str, WorkerQueue]) -> dict[str, WorkerQueue]:
        for name in value:
            _check_name(name, "queue name", 24)
            if name == "default":
                raise ValueError("'default' is the main worker group: set workers.min/max instead")
        return value


class CelerySettings(StrictModel):
    broker: Literal["sqs", "redis"] = Field("sqs", description="sqs (nothing to run) or redis")


class LocalSettings(StrictModel):
    """The local target."""

    port: int = Field(8080, ge=1024, le=65535, description="API server port (next free one if busy)")
    dag_bucket: str | None = Field(
        None, description="read the DAG bundle from this S3 location (s3://bucket/prefix) instead of "
                          "a local folder, to rehearse a cloud environment's bundle")

    @field_validator("dag_bucket")
    @classmethod
    def _dag_bucket(cls, value: str | None) -> str | None:
        if value is None:
            return value
        match = re.match(r"^s3://([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(/[A-Za-z0-9!_.*'()/-]*)?$", value)
        if not match:
            raise ValueError(f"'{value}' is not an S3 location like s3://my-bucket/dags")
        return value.rstrip("/")

    @property
    def bucket_and_prefix(self) -> tuple[str, str] | None:
        if not self.dag_bucket:
            return None
        bucket, _, prefix = self.dag_bucket.removeprefix("s3://").partition("/")
        return bucket, prefix.strip("/")


class LogsSettings(StrictModel):
    retention_days: Literal[1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096,
                            1827, 2192, 2557, 2922, 3288, 3653] = Field(
        30, description="days to keep component and task logs"
    )




MwaaClassName = Literal["mw1.micro", "mw1.small", "mw1.medium", "mw1.large", "mw1.xlarge", "mw1.2xlarge"]


class MwaaSource(StrictModel):
    """The Amazon MWAA environment a project was imported from, as it ran: what ``cost`` compares with."""

    environment: str | None = Field(None, description="name of the MWAA environment")
    environment_class: MwaaClassName = Field(description="its environment class, e.g. mw1.medium")
    min_workers: int = Field(1, ge=1, le=25)
    max_workers: int = Field(1, ge=1, le=25)
    schedulers: int = Field(2, ge=1, le=5)
    min_webservers: int = Field(2, ge=1, le=5)
    max_webservers: int = Field(2, ge=1, le=5)

    @model_validator(mode="after")
    def _bounds(self) -> MwaaSource:
        if self.min_workers > self.max_workers:
            raise ValueError(f"min_workers ({self.min_workers}) is larger than max_workers ({self.max_workers})")
        if self.min_webservers > self.max_webservers:
            raise ValueError(f"min_webservers ({self.min_webservers}) is larger than max_webservers "
                             f"({self.max_webservers})")
        return self
