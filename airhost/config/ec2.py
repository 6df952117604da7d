"""The ``ec2`` section of airhost.yaml and the EC2 target's rules across sections.

``Ec2Settings`` is how Airflow runs on EC2 Auto Scaling groups: ``standalone`` (one instance runs
every component) or ``split`` (a group per component, and a worker group per Celery queue). Each
group has its instance type, architecture and root volume; the architecture follows the instance
type (Graviton families such as t4g, m7g, g5g are arm64) unless set, and must agree with it.
``ec2_rules`` checks what only holds on EC2, called by the environment's validation.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Literal

from pydantic import Field, field_validator, model_validator

from airhost.config.base import StrictModel, _check_name

if TYPE_CHECKING:
    from airhost.config.models import Environment

Architecture = Literal["arm64", "x86_64"]
INSTANCE_TYPE = re.compile(r"^([a-z]+)(\d+)([a-z-]*)\.([a-z0-9]+)$")
SPLIT_GROUPS = ("api-server", "scheduler", "dag-processor", "triggerer")


def architecture_of(instance_type: str) -> Architecture:
    """arm64 for Graviton families (a1, t4g, m7g, c7gn, g5g, r8gd, ...), x86_64 otherwise."""
    match = INSTANCE_TYPE.match(instance_type)
    if not match:
        raise ValueError(f"'{instance_type}' is not an EC2 instance type like t4g.large or m7i.xlarge")
    family, _, features = match.group(1), match.group(2), match.group(3)
    return "arm64" if family == "a" or features.startswith("g") else "x86_64"


class Ec2Group(StrictModel):
    """One Auto Scaling group's instances."""

    instance_type: str | None = Field(None, description="EC2 instance type, e.g. t4g.large")
    architecture: Architecture | None = Field(
        None, description="arm64 or x86_64; follows the instance type when not set")
    root_volume_gb: int | None = Field(None, ge=8, le=16384, description="encrypted gp3 root volume")

    @field_validator("instance_type")
    @classmethod
    def _instance_type(cls, value: str | None) -> str | None:
        if value is not None:
            architecture_of(value)
        return value


class ResolvedGroup(StrictModel):
    """A group with every default filled in: what the compute stack renders."""

    name: str  # standalone, api-server, ..., worker, worker-<queue>
    components: tuple[str, ...]
    instance_type: str
    architecture: Architecture
    root_volume_gb: int
    minimum: int
    maximum: int
    desired: int  # the configured steady-state count (held at 0 until the first migration)
    queue: str | None = None  # the Celery queue a worker group serves


class Ec2Settings(StrictModel):
    """How Airflow runs on EC2 Auto Scaling groups."""

    topology: Literal["standalone", "split"] = Field(
        "standalone", description="standalone (one instance, every component) or split (a group each)")
    instance_type: str = Field("t4g.large", description="instance type of every group not set below")
    architecture: Architecture | None = Field(None, description="follows instance_type when not set")
    root_volume_gb: int = Field(30, ge=8, le=16384, description="encrypted gp3 root volume, GiB")
    api_servers: int = Field(1, ge=1, le=10, description="api-server instances (split topology)")
    schedulers: int = Field(1, ge=1, le=4, description="scheduler instances (split topology)")
    groups: dict[Literal["api-server", "scheduler", "dag-processor", "triggerer", "worker"],
                 Ec2Group] = Field(default_factory=dict, description="per-group overrides (split)")
    queues: dict[str, Ec2Group] = Field(
        default_factory=dict, description="instances of the worker group of each Celery queue")
    wheelhouse: str | None = Field(
        None, description="s3://bucket/prefix/ holding requirements.lock and its wheels for the "
                          "nodes' platform: what every node installs Airflow from")

    @field_validator("wheelhouse")
    @classmethod
    def _wheelhouse(cls, value: str | None) -> str | None:
        if value is not None and not (value.startswith("s3://") and len(value) > 5):
            raise ValueError(f"'{value}' is not an s3://bucket/prefix/ location")
        return value if value is None or value.endswith("/") else value + "/"

    @field_validator("instance_type")
    @classmethod
    def _instance_type(cls, value: str) -> str:
        architecture_of(value)
        return value

    @field_validator("queues")
    @classmethod
    def _queue_names(cls, value: dict[str, Ec2Group]) -> dict[str, Ec2Group]:
        for name in value:
            _check_name(name, "queue name", 24)
        return value

    @model_validator(mode="after")
    def _architectures_agree(self) -> Ec2Settings:
        _agrees("ec2", self.instance_type, self.architecture)
        for where, group in [*(("ec2.groups." + k, g) for k, g in self.groups.items()),
                             *(("ec2.queues." + k, g) for k, g in self.queues.items())]:
            _agrees(where, group.instance_type or self.instance_type, group.architecture)
        return self


def _agrees(where: str, instance_type: str, architecture: Architecture | None) -> None:
    natural = architecture_of(instance_type)
    if architecture is not None and architecture != natural:
        raise ValueError(f"{where}: instance type {instance_type} is {natural}, not {architecture}: "
                         f"set architecture: {natural} or pick an instance type of the other kind")


def instance_vcpus(instance_type: str) -> int:
    """vCPUs of an EC2 instance type, from its size (AWS's naming: medium 1, large 2, xlarge 4,
    Nxlarge 4N; the burstable t families have 2 up to large, t2's smallest 1); 2 when the size
    does not say (metal)."""
    family, _, size = instance_type.partition(".")
    burstable = family.startswith("t")
    if size in ("nano", "micro", "small"):
        return 1 if family == "t2" else 2
    if size == "medium":
        return 2 if burstable else 1
    if size == "large":
        return 2
    if size == "xlarge":
        return 4
    match = re.fullmatch(r"(\d+)xlarge", size)
    return 4 * int(match.group(1)) if match else 2


def resolved_groups(env: Environment) -> list[ResolvedGroup]:
    """The environment's Auto Scaling groups, every default filled in, in a stable order."""
    ec2 = env.ec2

    def group(name: str, components: tuple[str, ...], override: Ec2Group | None, minimum: int,
              maximum: int, desired: int, queue: str | None = None) -> ResolvedGroup:
        override = override or Ec2Group()
        instance_type = override.instance_type or ec2.instance_type
        return ResolvedGroup(
            name=name, components=components, instance_type=instance_type,
            architecture=override.architecture or architecture_of(instance_type),
            root_volume_gb=override.root_volume_gb or ec2.root_volume_gb,
            minimum=minimum, maximum=maximum, desired=desired, queue=queue)

    if ec2.topology == "standalone":
        return [group("standalone", SPLIT_GROUPS, None, 1, 1, 1)]
    counts = {"api-server": ec2.api_servers, "scheduler": ec2.schedulers}
    result = [group(name, (name,), ec2.groups.get(name), counts.get(name, 1), counts.get(name, 1),
                    counts.get(name, 1)) for name in SPLIT_GROUPS]
    if env.airflow.executor == "celery":
        workers = env.workers
        result.append(group("worker", ("worker",), ec2.groups.get("worker"), workers.min,
                            workers.max, workers.min, queue="default"))
        for queue, bounds in sorted(workers.queues.items()):
            result.append(group(f"worker-{queue}", ("worker",), ec2.queues.get(queue), bounds.min,
                                bounds.max, bounds.min, queue=queue))
    return result


def ec2_rules(env: Environment) -> None:
    """What an EC2 environment must hold across its sections; ValueError says the fix."""
    executor = env.airflow.executor
    if env.ec2.topology == "standalone" and executor == "celery":
        raise ValueError("executor celery needs ec2.topology split (workers run in their own groups)")
    unknown = sorted(set(env.ec2.queues) - set(env.workers.queues))
    if unknown:
        raise ValueError(f"ec2.queues names {', '.join(unknown)}, which workers.queues does not: "
                         "add the queue to workers.queues (its min and max) or remove it here")
    if executor == "celery" and env.celery.broker == "redis":
        raise ValueError("celery.broker redis is not available on EC2 yet (airhost renders no "
                         "ElastiCache): use celery.broker: sqs")
    if env.dags.source == "image":
        raise ValueError("dags.source image has no image on EC2: use dags.source bundle (the S3 "
                         "bundle every node reads)")
    if env.network.egress == "endpoints" and not env.network.vpc_id and env.dags.source == "git":
        raise ValueError("dags.source git needs the internet to reach the repository: set "
                         "network.egress: nat-instance")
