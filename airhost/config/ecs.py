"""The ``ecs`` section of airhost.yaml and the ECS target's rules across sections.

``EcsSettings`` is how Airflow runs on ECS; ``ecs_rules`` checks what only holds on ECS (Fargate
task sizes, Celery's needs, an environment without a NAT gateway), called by the environment's
validation for ``target: ecs``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field, model_validator

from airhost.config.base import StrictModel
from airhost.config.infrastructure import ComponentSize
from airhost.config.support import parse_airflow_version

if TYPE_CHECKING:
    from airhost.config.models import Environment


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




def ecs_rules(env: Environment) -> None:
    """What an ECS environment must hold across its sections; ValueError says the fix."""
    executor = env.airflow.executor
    _network_rules(env)
    if env.ecs.topology == "standalone" and executor == "ecs":
        raise ValueError(
            "executor ecs needs ecs.topology split: its tasks reach the API server through the "
            "service discovery name a split topology gives it"
        )
    if env.ecs.topology == "standalone" and executor == "celery":
        raise ValueError(
            "executor celery needs ecs.topology split (workers run as their own service)"
        )
    if executor == "celery":
        _celery_rules(env)


def _celery_rules(env: Environment) -> None:
    if env.celery.broker == "redis":
        raise ValueError(
            "celery.broker redis is not available on ECS yet (airhost renders no ElastiCache): "
            "use celery.broker: sqs"
        )
    if env.ecs.image == "official":
        raise ValueError(
            "executor celery on ECS needs packages the official image lacks (Celery's SQS "
            "transport, Airflow's DogStatsD client for the queue metrics workers scale on): "
            "set ecs.image: ecr; `airhost image build` adds them to the project's image"
        )
    if parse_airflow_version(env.airflow.version)[:2] < (3, 2):
        raise ValueError(
            f"executor celery on ECS needs Airflow 3.2 or later (airflow.version is "
            f"{env.airflow.version}): worker groups scale on the per-queue ti.queued and "
            "ti.running gauges Airflow emits since 3.2"
        )
    if env.network.egress == "endpoints" and not env.network.vpc_id:
        raise ValueError(
            "executor celery on ECS with network.egress endpoints: the CloudWatch agent that carries "
            "the queue metrics comes from the public ECR gallery, which needs a way out; "
            "use network.egress nat-instance or nat-gateway (or an existing VPC with its own egress)"
        )

def _network_rules(env: Environment) -> None:
    network, access = env.network, env.access
    if env.ecs.capacity == "fargate":
        sizes = {f"ecs.sizes.{name}": size for name, size in env.ecs.sizes.items()}
        if env.workers.size:
            sizes["workers.size"] = env.workers.size
        sizes.update({f"workers.queues.{name}.size": queue.size
                      for name, queue in env.workers.queues.items() if queue.size})
        for where, size in sizes.items():
            problem = fargate_size_problem(size)
            if problem:
                raise ValueError(f"{where}: {problem}")
    if access.mode == "alb" and network.vpc_id and len(network.public_subnet_ids) < 2:
        raise ValueError(
            "access.mode alb in an existing VPC needs network.public_subnet_ids "
            "(two public subnets in two AZs for the load balancer)"
        )
    if access.mode == "tailscale" and env.ecs.topology == "split" and env.ecs.api_servers > 1:
        raise ValueError(
            "access.mode tailscale serves one API server (one Tailscale node per name): "
            "set ecs.api_servers: 1, or use access.mode alb to balance several"
        )
    if network.vpc_id or network.egress != "endpoints":
        return
    if env.ecs.image == "official":
        raise ValueError(
            "network.egress endpoints leaves no way to Docker Hub, where the official image lives: set "
            "ecs.image: ecr (airhost pushes the image to the project's ECR repository) or egress: nat-instance"
        )
    if access.mode == "tailscale":
        raise ValueError(
            "access.mode tailscale needs the internet to reach Tailscale's servers: "
            "set network.egress: nat-instance (or nat-gateway)"
        )
    if env.dags.source == "git":
        raise ValueError("dags.source git needs the internet to reach the repository: set network.egress: nat-instance (or nat-gateway)")
