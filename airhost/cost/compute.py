"""What an ECS environment's Airflow tasks cost: Fargate per component, or Managed Instances packed.

The services and their sizes are the ones the airflow stack renders: ``standalone`` is one task;
``split`` runs ``api-server`` × ``ecs.api_servers``, ``scheduler`` × ``ecs.schedulers``, one
``dag-processor`` and one ``triggerer``; with Celery each worker group runs between its min and max
(the estimate's month has every group at min; "at max" has every group at max all month). Sizes come
from ``size_of`` (``ecs.sizes`` or the defaults), a worker group's own ``size`` first.

Managed Instances bill instances, not tasks: the tasks are packed first-fit-decreasing onto the
cheapest instance type the capacity provider may launch (vCPU, memory and CPU maker within
``ecs.instance_requirements``), each instance keeping ``INSTANCE_MEMORY_RESERVED`` of its memory for
the ECS agent and the OS. The management fee and each instance's root volume come on top.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from airhost.config.models import ComponentSize, Environment
from airhost.cost.prices import CostError, RegionPrices
from airhost.render.ecs.tasks import size_of
from airhost.render.ecs.workers import worker_groups

INSTANCE_MEMORY_RESERVED = 0.10  # share of an instance's memory tasks cannot use


@dataclass(frozen=True)
class Service:
    """One ECS service: its task size, its task count this month, and at its max."""

    name: str
    size: ComponentSize
    count: int
    at_max: int

    @property
    def vcpu(self) -> float:
        return self.size.cpu / 1024

    @property
    def memory_gib(self) -> float:
        return self.size.memory / 1024


@dataclass(frozen=True)
class ComputeLine:
    label: str
    detail: str
    monthly: float
    at_max: float
    parked: float = 0.0  # what still bills while parked (an EKS control plane, a load balancer)


def services(env: Environment) -> list[Service]:
    """The always-running services, then the Celery worker groups."""
    if env.ecs.topology == "standalone":
        found = [Service("standalone", size_of(env, "standalone"), 1, 1)]
    else:
        found = [Service(name, size_of(env, name), count, count) for name, count in (
            ("api-server", env.ecs.api_servers), ("scheduler", env.ecs.schedulers),
            ("dag-processor", 1), ("triggerer", 1))]
    if env.airflow.executor == "celery":
        for name, (_queue, settings) in worker_groups(env).items():
            found.append(Service(name, settings.size or size_of(env, "worker"), settings.min, settings.max))
    return found


def task_hour(prices: RegionPrices, architecture: str, size: ComponentSize) -> float:
    """Fargate's price of one task of ``size`` for one hour."""
    return (size.cpu / 1024 * prices.get("fargate", architecture, "vcpu_hour")
            + size.memory / 1024 * prices.get("fargate", architecture, "gb_hour"))


def _shape(service: Service) -> str:
    return f"{service.vcpu:g} vCPU / {service.memory_gib:g} GiB"


def fargate_lines(env: Environment, prices: RegionPrices, task_hours: float) -> list[ComputeLine]:
    hours = prices.hours_per_month
    architecture = env.ecs.architecture
    lines = []
    for service in services(env):
        hourly = task_hour(prices, architecture, service.size)
        counts = (f"{service.count}" if service.count == service.at_max
                  else f"{service.count} (up to {service.at_max})")
        lines.append(ComputeLine(f"compute: {service.name}",
                                 f"{counts} × {_shape(service)} Fargate {architecture}",
                                 service.count * hourly * hours, service.at_max * hourly * hours))
    if env.airflow.executor == "ecs":
        size = size_of(env, "worker")
        cost = task_hours * task_hour(prices, architecture, size)
        lines.append(ComputeLine("compute: task instances (ECS executor)",
                                 f"{task_hours:g} task-hours × {size.cpu / 1024:g} vCPU / "
                                 f"{size.memory / 1024:g} GiB Fargate {architecture} (assumed)", cost, cost))
    return lines


@dataclass(frozen=True)
class Placement:
    """Instances of one type holding a set of tasks."""

    instance_type: str
    count: int
    hourly: float  # one instance, on-demand


def candidate_types(env: Environment, prices: RegionPrices) -> list[str]:
    """Instance types the capacity provider may launch that the price table knows (none on
    Fargate, which is priced per vCPU and GB)."""
    if env.ecs.capacity != "managed-instances":
        return []
    shape = env.ecs.instance_requirements
    priced = set(prices.names("ec2", "instance_hour"))
    found = []
    for name, spec in prices.instance_types.items():
        memory_mib = spec["memory_gib"] * 1024
        if (name in priced and shape.vcpu_min <= spec["vcpu"] <= shape.vcpu_max
                and shape.memory_min_mib <= memory_mib <= shape.memory_max_mib
                and spec["manufacturer"] in shape.cpu_manufacturers):
            found.append(name)
    return sorted(found)


def instances_needed(spec: dict, tasks: list[ComponentSize]) -> int | None:
    """How many instances of ``spec`` hold ``tasks`` (first-fit decreasing); None if one cannot."""
    cpu = spec["vcpu"] * 1024
    memory = spec["memory_gib"] * 1024 * (1 - INSTANCE_MEMORY_RESERVED)
    free: list[list[float]] = []
    for task in sorted(tasks, key=lambda t: (t.memory, t.cpu), reverse=True):
        if task.cpu > cpu or task.memory > memory:
            return None
        for room in free:
            if room[0] >= task.cpu and room[1] >= task.memory:
                room[0] -= task.cpu
                room[1] -= task.memory
                break
        else:
            free.append([cpu - task.cpu, memory - task.memory])
    return len(free)


def place(env: Environment, prices: RegionPrices, tasks: list[ComponentSize]) -> Placement:
    """The cheapest way (instance type × count) to run ``tasks``; no tasks, no instances."""
    candidates = candidate_types(env, prices)
    if not candidates:
        shape = env.ecs.instance_requirements
        raise CostError(
            f"no priced instance type fits ecs.instance_requirements ({shape.vcpu_min}-{shape.vcpu_max} "
            f"vCPU, {shape.memory_min_mib}-{shape.memory_max_mib} MiB, "
            f"{', '.join(shape.cpu_manufacturers)}) in {prices.region}",
            hint="widen instance_requirements, or pass --refresh-prices")
    best: tuple[float, int, str] | None = None
    for name in candidates:
        count = instances_needed(prices.instance_types[name], tasks) if tasks else 0
        if count is None:
            continue
        option = (count * prices.get("ec2", "instance_hour", name), count, name)
        best = option if best is None or option < best else best
    if best is None:
        largest = max(tasks, key=lambda t: (t.memory, t.cpu))
        raise CostError(
            f"a {largest.cpu / 1024:g} vCPU / {largest.memory} MiB task fits none of the instance types "
            "ecs.instance_requirements allows",
            hint="raise instance_requirements.vcpu_max or memory_max_mib, or shrink ecs.sizes")
    return Placement(best[2], best[1], prices.get("ec2", "instance_hour", best[2]))


def managed_instance_lines(env: Environment, prices: RegionPrices, task_hours: float,
                           root_volume_gib: int) -> list[ComputeLine]:
    hours = prices.hours_per_month
    running = services(env)
    now = place(env, prices, [s.size for s in running for _ in range(s.count)])
    peak = place(env, prices, [s.size for s in running for _ in range(s.at_max)])
    names = ", ".join(f"{s.name} × {s.count}" for s in running if s.count)
    fee = prices.get("ec2", "management_fee_ratio")
    volume = root_volume_gib * prices.get("ec2", "ebs_gp3_gb_month")
    spec = prices.instance_types[now.instance_type]
    lines = [
        ComputeLine("compute: Managed Instances",
                    f"{now.count} × {now.instance_type} ({spec['vcpu']} vCPU / {spec['memory_gib']} GiB) "
                    f"for {names}" + (f"; at max {peak.count} × {peak.instance_type}"
                                      if peak != now else ""),
                    now.count * now.hourly * hours, peak.count * peak.hourly * hours),
        ComputeLine("Managed Instances management fee", f"{fee:.0%} of the instances' on-demand price",
                    now.count * now.hourly * fee * hours, peak.count * peak.hourly * fee * hours),
        ComputeLine("instance root volumes", f"{root_volume_gib} GiB gp3 per instance",
                    now.count * volume, peak.count * volume),
    ]
    if env.airflow.executor == "ecs" and task_hours:
        size = size_of(env, "worker")
        one = place(env, prices, [size])
        share = max(size.cpu / (prices.instance_types[one.instance_type]["vcpu"] * 1024),
                    size.memory / (prices.instance_types[one.instance_type]["memory_gib"] * 1024))
        cost = task_hours * one.hourly * min(1.0, share) * (1 + fee)
        lines.append(ComputeLine("compute: task instances (ECS executor)",
                                 f"{task_hours:g} task-hours, each {math.ceil(share * 100)}% of a "
                                 f"{one.instance_type} (assumed)", cost, cost))
    return lines
