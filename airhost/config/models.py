"""The typed model of ``airhost.yaml``.

A project file has a name, shared sections (``airflow``, ``dags``, ``database``, ...) and named
environments. Each environment inherits every shared section and overrides what it sets; the result is
one ``Environment``, fully validated, which is all the rest of airhost ever reads.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from airhost.config import support

Target = Literal["local", "ecs", "eks", "ec2"]
Executor = Literal["local", "celery", "ecs", "kubernetes"]
CLOUD_TARGETS = ("ecs", "eks", "ec2")

# Names end up in stack names, bucket names and DNS labels: lowercase, digits and hyphens.
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9-]*[a-z0-9]$")
REGION_PATTERN = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$")
ARN_PATTERN = re.compile(r"^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:\d{0,12}:.+$")

# Settings airhost owns because they carry secrets or tie components together.
RESERVED_AIRFLOW_SETTINGS = {
    ("database", "sql_alchemy_conn"): "airhost generates the database credentials",
    ("core", "fernet_key"): "airhost generates the Fernet key",
    ("api_auth", "jwt_secret"): "airhost generates the JWT secret",
    ("api", "secret_key"): "airhost generates the API secret key",
    ("celery", "broker_url"): "airhost wires the Celery broker",
    ("celery", "result_backend"): "airhost uses the metadata database as result backend",
    ("core", "executor"): "set airflow.executor instead",
    ("core", "dags_folder"): "set dags.folder instead",
    ("core", "auth_manager"): "set airflow.auth_manager instead",
}

Scalar = str | int | float | bool


class StrictModel(BaseModel):
    """Unknown keys are errors; values are immutable once loaded."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_name(value: str, what: str, max_length: int) -> str:
    if not NAME_PATTERN.match(value) or "--" in value or len(value) > max_length:
        raise ValueError(
            f"{what} '{value}' cannot be used in AWS resource names: use 2 to {max_length} "
            "lowercase letters, digits and single hyphens, starting with a letter"
        )
    return value


def _check_cidr(value: str) -> str:
    try:
        ipaddress.ip_network(value, strict=True)
    except ValueError as error:
        raise ValueError(f"'{value}' is not a CIDR block like 203.0.113.0/24 ({error})") from None
    return value


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


class DatabaseSettings(StrictModel):
    """The metadata database: RDS PostgreSQL in AWS, an embedded PostgreSQL locally."""

    engine_version: str = Field(
        support.DEFAULT_POSTGRES_VERSION, description="PostgreSQL major version"
    )
    instance_class: str = Field("db.t4g.micro", description="RDS instance class")
    storage_gb: int = Field(20, ge=20, le=65536, description="allocated storage in GiB")
    max_storage_gb: int | None = Field(None, ge=21, le=65536, description="storage autoscaling cap")
    multi_az: bool = False
    backup_days: int = Field(7, ge=1, le=35, description="automated backup retention in days")
    keep_backups: int = Field(
        10, ge=1, le=100,
        description="backups airhost keeps (airhost backup, pre-upgrade): older ones are deleted")
    admin_security_group: str | None = Field(
        None, description="security group id allowed to reach the database, for admins"
    )
    url: str | None = Field(
        None, description="local target: an existing PostgreSQL URL instead of the embedded one"
    )

    @field_validator("engine_version")
    @classmethod
    def _engine(cls, value: str) -> str:
        if value not in support.POSTGRES_VERSIONS:
            raise ValueError(
                f"PostgreSQL {value} is not supported: use one of {', '.join(support.POSTGRES_VERSIONS)}"
            )
        return value

    @field_validator("instance_class")
    @classmethod
    def _instance_class(cls, value: str) -> str:
        if not re.match(r"^db\.[a-z0-9]+\.[a-z0-9]+$", value):
            raise ValueError(f"'{value}' is not an RDS instance class like db.t4g.micro")
        return value

    @field_validator("admin_security_group")
    @classmethod
    def _security_group(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^sg-[0-9a-f]{8,17}$", value):
            raise ValueError(f"'{value}' is not a security group id like sg-0123456789abcdef0")
        return value

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if not re.match(r"^postgres(ql)?(\+[a-z0-9]+)?://", value):
            raise ValueError(f"'{value}' is not a PostgreSQL URL like postgresql://user@host:5432/airflow")
        if re.match(r"^[^:]+://[^/@:]+:[^/@]*@", value):
            raise ValueError(
                "the database URL contains a password: remove it and put it in ~/.pgpass or PGPASSWORD"
            )
        return value

    @model_validator(mode="after")
    def _storage_cap(self) -> DatabaseSettings:
        if self.max_storage_gb is not None and self.max_storage_gb <= self.storage_gb:
            raise ValueError(
                f"max_storage_gb ({self.max_storage_gb}) must be larger than storage_gb ({self.storage_gb})"
            )
        return self


class NetworkSettings(StrictModel):
    """A new VPC (default) or the ids of an existing one."""

    cidr: str = Field("10.42.0.0/16", description="CIDR of a new VPC")
    nat: Literal["gateway", "none"] = Field(
        "gateway", description="gateway (a NAT gateway) or none (VPC endpoints only)"
    )
    vpc_id: str | None = Field(None, description="use this existing VPC instead of creating one")
    private_subnet_ids: list[str] = Field(default_factory=list)
    public_subnet_ids: list[str] = Field(default_factory=list)

    @field_validator("cidr")
    @classmethod
    def _vpc_cidr(cls, value: str) -> str:
        _check_cidr(value)
        size = ipaddress.ip_network(value).prefixlen
        if not 16 <= size <= 24:
            raise ValueError(f"'{value}' is a /{size}: a VPC needs a /16 to /24 block, like 10.42.0.0/16")
        return value

    @field_validator("vpc_id")
    @classmethod
    def _vpc(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^vpc-[0-9a-f]{8,17}$", value):
            raise ValueError(f"'{value}' is not a VPC id like vpc-0123456789abcdef0")
        return value

    @field_validator("private_subnet_ids", "public_subnet_ids")
    @classmethod
    def _subnets(cls, value: list[str]) -> list[str]:
        for subnet in value:
            if not re.match(r"^subnet-[0-9a-f]{8,17}$", subnet):
                raise ValueError(f"'{subnet}' is not a subnet id like subnet-0123456789abcdef0")
        return value

    @model_validator(mode="after")
    def _existing_needs_subnets(self) -> NetworkSettings:
        if self.vpc_id and len(self.private_subnet_ids) < 2:
            raise ValueError("an existing vpc_id needs at least two private_subnet_ids (two AZs)")
        if not self.vpc_id and (self.private_subnet_ids or self.public_subnet_ids):
            raise ValueError("subnet ids were given without vpc_id: set network.vpc_id too")
        return self


class ComponentSize(StrictModel):
    """CPU units (1024 = one vCPU) and memory in MiB of one component's task."""

    cpu: int = Field(ge=256, le=16384)
    memory: int = Field(ge=512, le=122880)


# Fargate's task sizes: CPU units → (smallest, largest, step) of memory in MiB.
FARGATE_MEMORY = {256: (512, 2048, 512), 512: (1024, 4096, 1024), 1024: (2048, 8192, 1024),
                  2048: (4096, 16384, 1024), 4096: (8192, 30720, 1024), 8192: (16384, 61440, 4096),
                  16384: (32768, 122880, 8192)}


def fargate_size_problem(size: ComponentSize) -> str | None:
    """Why Fargate cannot run a task of this size, or None when it can."""
    if size.cpu not in FARGATE_MEMORY:
        return f"cpu {size.cpu} is not a Fargate size: use one of {', '.join(map(str, FARGATE_MEMORY))}"
    low, high, step = FARGATE_MEMORY[size.cpu]
    if not (low <= size.memory <= high and size.memory % step == 0):
        return (f"memory {size.memory} does not fit cpu {size.cpu} on Fargate: use {low} to {high} "
                f"in steps of {step}")
    return None


class InstanceRequirements(StrictModel):
    """Instance shape for ECS Managed Instances."""

    vcpu_min: int = Field(2, ge=1, le=192)
    vcpu_max: int = Field(8, ge=1, le=192)
    memory_min_mib: int = Field(4096, ge=1024)
    memory_max_mib: int = Field(32768, ge=1024)
    cpu_manufacturers: list[Literal["intel", "amd", "amazon-web-services"]] = Field(
        default_factory=lambda: ["amazon-web-services"]
    )


class EcsSettings(StrictModel):
    """How Airflow runs on ECS."""

    capacity: Literal["fargate", "managed-instances"] = "fargate"
    topology: Literal["standalone", "split"] = Field(
        "standalone", description="standalone (one task, all components) or split (a service each)"
    )
    api_servers: int = Field(1, ge=1, le=10, description="api-server tasks (split topology)")
    schedulers: int = Field(1, ge=1, le=4, description="scheduler tasks (split topology)")
    exec: bool = Field(False, description="enable ECS Exec for shell access to tasks")
    image: Literal["official", "ecr"] = Field(
        "official", description="official (apache/airflow from Docker Hub) or ecr (the project's image)"
    )
    architecture: Literal["arm64", "x86_64"] = Field(
        "arm64", description="CPU architecture of tasks: arm64 (Graviton, cheaper) or x86_64"
    )
    sizes: dict[Literal["standalone", "api-server", "scheduler", "dag-processor", "triggerer",
                        "worker", "utils"], ComponentSize] = Field(default_factory=dict)
    instance_requirements: InstanceRequirements = Field(default_factory=InstanceRequirements)

    @model_validator(mode="after")
    def _architecture_matches_instances(self) -> EcsSettings:
        if self.capacity != "managed-instances":
            return self
        graviton = "amazon-web-services" in self.instance_requirements.cpu_manufacturers
        others = set(self.instance_requirements.cpu_manufacturers) - {"amazon-web-services"}
        if self.architecture == "arm64" and others:
            raise ValueError(
                "ecs.architecture arm64 runs on Graviton only: set "
                "instance_requirements.cpu_manufacturers to [amazon-web-services], or architecture x86_64"
            )
        if self.architecture == "x86_64" and graviton:
            raise ValueError(
                "ecs.architecture x86_64 cannot run on Graviton: set "
                "instance_requirements.cpu_manufacturers to [intel] and/or [amd], or architecture arm64"
            )
        return self


class OidcSettings(StrictModel):
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    user_info_endpoint: str
    client_id: str
    client_secret_arn: str = Field(description="Secrets Manager ARN holding the client secret")

    @field_validator("client_secret_arn")
    @classmethod
    def _arn(cls, value: str) -> str:
        if not ARN_PATTERN.match(value):
            raise ValueError(f"'{value}' is not an ARN")
        return value


class TailscaleSettings(StrictModel):
    auth_key_secret_arn: str = Field(description="Secrets Manager ARN holding a Tailscale auth key")
    hostname: str | None = None
    tailnet: str | None = Field(
        None, description="the tailnet's DNS name (e.g. tail1234.ts.net): Airflow's links then use "
                          "https://<hostname>.<tailnet>"
    )

    @field_validator("tailnet")
    @classmethod
    def _tailnet(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^([a-z0-9-]+\.)+ts\.net$", value):
            raise ValueError(f"'{value}' is not a tailnet DNS name like tail1234.ts.net")
        return value

    @field_validator("auth_key_secret_arn")
    @classmethod
    def _arn(cls, value: str) -> str:
        if not ARN_PATTERN.match(value):
            raise ValueError(f"'{value}' is not an ARN")
        return value


class AccessSettings(StrictModel):
    """How people reach the Airflow UI and API."""

    mode: Literal["private", "alb", "tailscale"] = "private"
    certificate_arn: str | None = Field(None, description="ACM certificate for the ALB's HTTPS listener")
    domain: str | None = Field(
        None, description="DNS name people use for the ALB (the certificate's); default: the ALB's own"
    )
    allowed_cidrs: list[str] = Field(default_factory=list, description="who may reach the ALB")
    oidc: OidcSettings | None = None
    tailscale: TailscaleSettings | None = None

    @field_validator("allowed_cidrs")
    @classmethod
    def _cidrs(cls, value: list[str]) -> list[str]:
        return [_check_cidr(cidr) for cidr in value]

    @field_validator("domain")
    @classmethod
    def _domain(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$", value):
            raise ValueError(f"'{value}' is not a DNS name like airflow.example.com")
        return value

    @field_validator("certificate_arn")
    @classmethod
    def _certificate(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/.+$", value):
            raise ValueError(f"'{value}' is not an ACM certificate ARN")
        return value

    @model_validator(mode="after")
    def _mode_needs(self) -> AccessSettings:
        if self.mode == "alb":
            if not self.certificate_arn:
                raise ValueError("access.mode alb needs access.certificate_arn (an ACM certificate)")
            if not self.allowed_cidrs:
                raise ValueError(
                    "access.mode alb needs access.allowed_cidrs: list who may connect "
                    "(0.0.0.0/0 only if the whole internet should)"
                )
        if self.mode == "tailscale" and self.tailscale is None:
            raise ValueError("access.mode tailscale needs access.tailscale.auth_key_secret_arn")
        if self.mode != "alb" and (self.oidc or self.certificate_arn or self.allowed_cidrs or self.domain):
            raise ValueError("certificate_arn, domain, allowed_cidrs and oidc only apply to access.mode alb")
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


# The sections an environment inherits from the top level of the file.
SHARED_SECTIONS = ("airflow", "dags", "database", "network", "ecs", "access", "workers", "celery",
                   "local", "logs", "region")


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
                "executor celery on SQS needs Celery's SQS transport (pycurl), which the official "
                "image lacks: set ecs.image: ecr and add 'celery[sqs]' to the requirements file, so "
                "the project's image has it"
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
