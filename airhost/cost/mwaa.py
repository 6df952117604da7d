"""The Amazon MWAA environment of equal capacity, and what it costs.

Class rule (``choose_class``), on vCPU, the resource Airflow's schedulers and workers run out of:

- a ``standalone`` environment whose one task has at most 1 vCPU → ``mw1.micro``, whose single
  scheduler-and-worker container (1 vCPU) is the same shape;
- otherwise the smallest of small → 2xlarge whose scheduler and worker vCPU (1, 2, 4, 8, 16) cover
  both our scheduler task and our default worker task (with the local executor, tasks run inside the
  scheduler, so the scheduler's size is the worker's too).

Memory is not matched: MWAA fixes it per class (2 GB per vCPU, 3 GB from xlarge), airhost lets it
be set. Every class includes one worker, and two schedulers and two web servers (micro: one of
each); more are billed by the hour. Our worker groups become MWAA workers by vCPU: a group of n
tasks of v vCPU needs ceil(n × v / class vCPU) workers, all groups together at most 25 (MWAA's
limit). The month has workers at the groups' min; "at max", at their max. ECS-executor task
instances are not converted (MWAA's included worker is counted).

An environment imported from MWAA records the environment it came from (``mwaa:`` in airhost.yaml):
then the comparison is with that environment as it ran — its class, its minimum and maximum workers,
schedulers and web servers — rather than with the nearest class.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from airhost.config.models import Environment
from airhost.cost.compute import Service, services
from airhost.cost.prices import RegionPrices
from airhost.render.ecs.tasks import size_of


@dataclass(frozen=True)
class MwaaClass:
    name: str
    vcpu: int
    memory_gb: int
    included_schedulers: int = 2
    included_webservers: int = 2
    max_workers: int = 25


CLASSES = (
    MwaaClass("mw1.micro", 1, 3, included_schedulers=1, included_webservers=1, max_workers=1),
    MwaaClass("mw1.small", 1, 2),
    MwaaClass("mw1.medium", 2, 4),
    MwaaClass("mw1.large", 4, 8),
    MwaaClass("mw1.xlarge", 8, 24),
    MwaaClass("mw1.2xlarge", 16, 48),
)
INCLUDED_WORKERS = 1


@dataclass(frozen=True)
class MwaaLine:
    label: str
    detail: str
    monthly: float
    at_max: float


@dataclass(frozen=True)
class MwaaEstimate:
    environment_class: str
    lines: list[MwaaLine]
    workers: int
    workers_at_max: int

    @property
    def monthly(self) -> float:
        return sum(line.monthly for line in self.lines)

    @property
    def at_max(self) -> float:
        return sum(line.at_max for line in self.lines)


@dataclass(frozen=True)
class WorkerGroup:
    count: int  # workers this month (the group's min)
    at_max: int
    vcpu: float  # each worker's


@dataclass(frozen=True)
class AirflowShape:
    """What an environment runs, in the terms MWAA's classes are chosen by; each target says its own.

    ``single``: everything in one container of ``scheduler_vcpu`` (mw1.micro's shape).
    ``worker_vcpu``: the default worker's (Celery), or each task's own (the ECS executor's task, the
    KubernetesExecutor's pod); None when tasks run inside the scheduler.
    """

    scheduler_vcpu: float
    worker_vcpu: float | None = None
    schedulers: int = 1
    api_servers: int = 1
    single: bool = False
    worker_groups: tuple[WorkerGroup, ...] = ()


def _vcpu(env: Environment, name: str) -> float:
    return size_of(env, name).cpu / 1024


def ecs_shape(env: Environment) -> AirflowShape:
    """An ECS environment's shape: its services' task sizes and counts."""
    groups = tuple(WorkerGroup(s.count, s.at_max, s.vcpu) for s in services(env)
                   if s.name.startswith("worker"))
    if env.ecs.topology == "standalone":
        return AirflowShape(_vcpu(env, "standalone"), single=True, worker_groups=groups)
    worker = None
    if env.airflow.executor in ("celery", "ecs"):
        default = env.workers.size if env.airflow.executor == "celery" else None
        worker = (default or size_of(env, "worker")).cpu / 1024
    return AirflowShape(_vcpu(env, "scheduler"), worker, env.ecs.schedulers, env.ecs.api_servers,
                        worker_groups=groups)


def choose_class(env: Environment, shape: AirflowShape | None = None) -> MwaaClass:
    shape = shape or ecs_shape(env)
    need = max(shape.scheduler_vcpu, shape.worker_vcpu or 0.0)
    if shape.single and need <= 1:
        return CLASSES[0]
    for option in CLASSES[1:]:
        if option.vcpu >= need:
            return option
    return CLASSES[-1]


def worker_count(groups: tuple[WorkerGroup, ...], chosen: MwaaClass, at_max: bool) -> int:
    """MWAA workers holding our worker groups' vCPU, at least the included one."""
    needed = sum(math.ceil((g.at_max if at_max else g.count) * g.vcpu / chosen.vcpu) for g in groups)
    return min(chosen.max_workers, max(INCLUDED_WORKERS, needed))


def estimate_mwaa(env: Environment, prices: RegionPrices, metadb_gb: float,
                  shape: AirflowShape | None = None) -> MwaaEstimate:
    """The MWAA environment of ``shape`` (the target's; an ECS environment's when not given)."""
    if env.mwaa is not None:
        return _estimate_recorded(env, prices, metadb_gb)
    shape = shape or ecs_shape(env)
    chosen = choose_class(env, shape)
    hours = prices.hours_per_month
    name = chosen.name
    lines = [MwaaLine(f"MWAA environment {name}",
                      f"{chosen.vcpu} vCPU scheduler and worker, {chosen.included_schedulers} scheduler(s), "
                      f"{chosen.included_webservers} web server(s), {INCLUDED_WORKERS} worker included",
                      prices.get("mwaa", "environment_hour", name) * hours,
                      prices.get("mwaa", "environment_hour", name) * hours)]
    workers = worker_count(shape.worker_groups, chosen, at_max=False)
    workers_max = worker_count(shape.worker_groups, chosen, at_max=True)
    if workers_max > INCLUDED_WORKERS:
        hourly = prices.get("mwaa", "worker_hour", name)
        lines.append(MwaaLine("MWAA additional workers",
                              f"{workers - INCLUDED_WORKERS} now, up to {workers_max - INCLUDED_WORKERS}",
                              (workers - INCLUDED_WORKERS) * hourly * hours,
                              (workers_max - INCLUDED_WORKERS) * hourly * hours))
    for what, ours, included in (("schedulers", shape.schedulers, chosen.included_schedulers),
                                 ("web servers", shape.api_servers, chosen.included_webservers)):
        extra = max(0, ours - included)
        if extra:
            key = "scheduler_hour" if what == "schedulers" else "webserver_hour"
            cost = extra * prices.get("mwaa", key, name) * hours
            lines.append(MwaaLine(f"MWAA additional {what}", f"{extra} beyond the {included} included",
                                  cost, cost))
    storage = metadb_gb * prices.get("mwaa", "metadb_gb_month")
    lines.append(MwaaLine("MWAA meta-database storage", f"{metadb_gb:g} GB (assumed)", storage, storage))
    return MwaaEstimate(name, lines, workers, workers_max)


def _class_named(name: str) -> MwaaClass:
    return next(option for option in CLASSES if option.name == name)


def _estimate_recorded(env: Environment, prices: RegionPrices, metadb_gb: float) -> MwaaEstimate:
    """The imported MWAA environment as it ran: its own class and counts."""
    record = env.mwaa
    assert record is not None
    chosen = _class_named(record.environment_class)
    hours = prices.hours_per_month
    name = chosen.name
    where = f"'{record.environment}'" if record.environment else "imported"
    hourly = prices.get("mwaa", "environment_hour", name)
    lines = [MwaaLine(f"MWAA environment {name}",
                      f"the {where} environment as it ran: {chosen.vcpu} vCPU scheduler and worker, "
                      f"{chosen.included_schedulers} scheduler(s), {chosen.included_webservers} web "
                      f"server(s), {INCLUDED_WORKERS} worker included",
                      hourly * hours, hourly * hours)]
    if record.max_workers > INCLUDED_WORKERS:
        worker = prices.get("mwaa", "worker_hour", name)
        now, most = record.min_workers - INCLUDED_WORKERS, record.max_workers - INCLUDED_WORKERS
        lines.append(MwaaLine("MWAA additional workers", f"{now} at its minimum, up to {most}",
                              now * worker * hours, most * worker * hours))
    extra = max(0, record.schedulers - chosen.included_schedulers)
    if extra:
        cost = extra * prices.get("mwaa", "scheduler_hour", name) * hours
        lines.append(MwaaLine("MWAA additional schedulers",
                              f"{extra} beyond the {chosen.included_schedulers} included", cost, cost))
    low = max(0, record.min_webservers - chosen.included_webservers)
    high = max(0, record.max_webservers - chosen.included_webservers)
    if high:
        webserver = prices.get("mwaa", "webserver_hour", name)
        lines.append(MwaaLine("MWAA additional web servers",
                              f"{low} beyond the {chosen.included_webservers} included, up to {high}",
                              low * webserver * hours, high * webserver * hours))
    storage = metadb_gb * prices.get("mwaa", "metadb_gb_month")
    lines.append(MwaaLine("MWAA meta-database storage", f"{metadb_gb:g} GB (assumed)", storage, storage))
    return MwaaEstimate(name, lines, record.min_workers, record.max_workers)
