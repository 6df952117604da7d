"""The monthly estimate of an ECS environment, line by line, beside Amazon MWAA.

``estimate(env, prices)`` is pure: the environment, the region's prices and the ``Assumptions`` give
the same lines every time. A month is the table's ``hours_per_month`` (730). Each line has three
figures: ``monthly`` (running, Celery workers at their min), ``parked`` (``airhost scale --to-zero``:
every service at zero, while the database, the network, the load balancer and stored data are still
billed) and ``mwaa`` (what the same need costs beside an MWAA environment: the network, the logs and
the buckets an MWAA environment needs as well; nothing for what MWAA includes). ``at_max`` is the
line with every worker group at its max all month. Volumes nobody can know in advance (log GB, data
through the NAT gateway, ...) are ``Assumptions`` with named defaults, reported with the estimate.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any, Callable

from airhost.config.models import Environment
from airhost.config.schedule import awake_share
from airhost.cost.compute import ComputeLine, fargate_lines, managed_instance_lines
from airhost.cost.mwaa import AirflowShape, MwaaEstimate, estimate_mwaa
from airhost.cost.prices import CostError, RegionPrices
from airhost.cost.rendered import Rendered, rendered_facts
from airhost.render.egress import NAT_LEAD_MINUTES
from airhost.render.stacks import StackTemplate

ComputeLines = Callable[[Environment, RegionPrices, float], list[ComputeLine]]


@dataclass(frozen=True)
class Assumptions:
    """Monthly volumes the estimate cannot read from airhost.yaml, with their defaults."""

    logs_gb: float = 5.0  # component logs sent to CloudWatch Logs (task logs go to S3)
    s3_gb: float = 10.0  # stored in the task-log and DAG buckets
    network_gb: float = 20.0  # through the NAT gateway or the endpoints: image pulls, AWS APIs, PyPI
    alb_lcu: float = 1.0  # load balancer capacity units, on average
    sqs_million_requests: float = 1.0  # Celery's polling and messages (Celery executor only)
    database_gb: float = 5.0  # data in the metadata database (backups, MWAA's meta-database)
    database_daily_change_gb: float = 0.5  # what each daily backup adds
    ecr_gb: float = 3.0  # image versions kept in ECR (ecs.image: ecr only)
    ecs_task_hours: float = 100.0  # task-instance hours the ECS executor (or the
    # KubernetesExecutor on EKS: task pods) runs
    queued_task_hours: float = 1000.0  # hours tasks spend queued or running (Celery on ECS only):
    # each publishes its own two gauges to CloudWatch meanwhile

    def describe(self) -> dict[str, float]:
        return asdict(self)


@dataclass(frozen=True)
class Line:
    label: str
    detail: str
    monthly: float
    parked: float
    mwaa: float = 0.0
    at_max: float | None = None
    # how the line follows a schedule: parked with the services, with the egress (woken a little
    # earlier, put to sleep a little later), or billed all month (nothing of AWS's parks it)
    on_schedule: str = "services"

    @property
    def monthly_at_max(self) -> float:
        return self.monthly if self.at_max is None else self.at_max


@dataclass(frozen=True)
class Estimate:
    environment: str
    prices: RegionPrices
    lines: list[Line]
    mwaa: MwaaEstimate
    assumptions: Assumptions
    notes: list[str] = field(default_factory=list)
    awake_share: float | None = None  # the schedule's awake hours of the week's 168
    egress_awake_share: float | None = None  # the same for scheduled egress, woken earlier

    @property
    def total(self) -> float:
        return sum(line.monthly for line in self.lines)

    @property
    def parked(self) -> float:
        return sum(line.parked for line in self.lines)

    @property
    def scheduled(self) -> float | None:
        """A month on ``schedule``: the running figure while awake, the parked one otherwise."""
        if self.awake_share is None:
            return None
        shares = {"services": self.awake_share, "always": 1.0,
                  "egress": self.egress_awake_share or self.awake_share}
        return sum(line.parked + (line.monthly - line.parked) * shares[line.on_schedule]
                   for line in self.lines)

    @property
    def total_at_max(self) -> float:
        return sum(line.monthly_at_max for line in self.lines)

    @property
    def mwaa_total(self) -> float:
        return sum(line.mwaa for line in self.lines) + self.mwaa.monthly

    @property
    def mwaa_total_at_max(self) -> float:
        return sum(line.mwaa for line in self.lines) + self.mwaa.at_max

    def to_json(self) -> dict[str, Any]:
        def money(value: float) -> float:
            return round(value, 2)

        savings = self.mwaa_total - self.total
        return {
            "environment": self.environment,
            "region": self.prices.region,
            "currency": "USD",
            "hours_per_month": self.prices.hours_per_month,
            "prices_date": self.prices.date,
            "prices_source": self.prices.source,
            "prices_refreshed": list(self.prices.refreshed),
            "lines": [{"line": line.label, "detail": line.detail, "monthly": money(line.monthly),
                       "parked": money(line.parked), "mwaa": money(line.mwaa),
                       "monthly_at_max": money(line.monthly_at_max)} for line in self.lines],
            "total_monthly": money(self.total),
            "parked_monthly": money(self.parked),
            "scheduled_monthly": None if self.scheduled is None else money(self.scheduled),
            "total_monthly_at_max": money(self.total_at_max),
            "mwaa": {
                "class": self.mwaa.environment_class,
                "workers": self.mwaa.workers,
                "workers_at_max": self.mwaa.workers_at_max,
                "lines": [{"line": line.label, "detail": line.detail, "monthly": money(line.monthly),
                           "monthly_at_max": money(line.at_max)} for line in self.mwaa.lines],
                "total_monthly": money(self.mwaa_total),
                "total_monthly_at_max": money(self.mwaa_total_at_max),
            },
            "savings_monthly": money(savings),
            "savings_percent": round(100 * savings / self.mwaa_total, 1) if self.mwaa_total else 0.0,
            "assumptions": self.assumptions.describe(),
            "notes": list(self.notes),
        }


def estimate(env: Environment, prices: RegionPrices,
             assumptions: Assumptions | None = None, *,
             compute_lines: ComputeLines | None = None,
             stacks: list[StackTemplate] | None = None,
             shape: AirflowShape | None = None,
             queues: int | None = None, schedulers: int | None = None) -> Estimate:
    """``compute_lines``, ``stacks`` and ``shape`` (for MWAA's class) are the target's (ECS's when
    not given); so are the Celery ``queues`` (else the SQS queues the templates create) and the
    ``schedulers`` publishing the backlog gauges (else ECS's count)."""
    assumed = assumptions or Assumptions()
    facts = rendered_facts(env, stacks)
    if queues is not None:
        facts = replace(facts, queues=queues)
    if compute_lines is not None:
        compute = compute_lines(env, prices, assumed.ecs_task_hours)
    elif env.ecs.capacity == "fargate":
        compute = fargate_lines(env, prices, assumed.ecs_task_hours)
    else:
        compute = managed_instance_lines(env, prices, assumed.ecs_task_hours, facts.instance_root_gib)
    lines = [Line(c.label, c.detail, c.monthly, c.parked, 0.0, c.at_max) for c in compute]
    lines.append(_database(env, prices, assumed))
    lines.extend(_network(env, prices, assumed, facts))
    lines.extend(_services(env, prices, assumed, facts,
                           env.ecs.schedulers if schedulers is None else schedulers))
    mwaa = estimate_mwaa(env, prices, assumed.database_gb, shape)
    share = awake_share(env.schedule) if env.schedule else None
    egress_share = (awake_share(env.schedule, before=NAT_LEAD_MINUTES, after=NAT_LEAD_MINUTES)
                    if env.schedule else None)
    return Estimate(env.name, prices, lines, mwaa, assumed, notes=_notes(env, prices, facts),
                    awake_share=share, egress_awake_share=egress_share)


def _database(env: Environment, prices: RegionPrices, assumed: Assumptions) -> Line:
    database = env.database
    deployment = "multi_az" if database.multi_az else "single_az"
    if database.instance_class not in prices.names("rds_postgres", "instance_hour"):
        known = ", ".join(prices.names("rds_postgres", "instance_hour"))
        raise CostError(f"no price for database.instance_class {database.instance_class} in "
                        f"{prices.region}: the price table lists {known}",
                        hint="pass --refresh-prices to read it from the AWS Price List API")
    instance = prices.get("rds_postgres", "instance_hour", database.instance_class, deployment)
    storage = database.storage_gb * prices.get("rds_postgres", "gp3_gb_month", deployment)
    # Automated backups are free up to the allocated storage: a full copy plus a day's changes each day.
    backup_gb = assumed.database_gb + database.backup_days * assumed.database_daily_change_gb
    charged = max(0.0, backup_gb - database.storage_gb)
    cost = (instance * prices.hours_per_month + storage
            + charged * prices.get("rds_postgres", "backup_gb_month"))
    detail = (f"{database.instance_class} {'Multi-AZ' if database.multi_az else 'single-AZ'}, "
              f"{database.storage_gb} GB gp3, {database.backup_days} days of backups"
              + (f" ({charged:g} GB beyond the free allowance)" if charged else " (within the free allowance)")
              + (f"; growth up to {database.max_storage_gb} GB not counted" if database.max_storage_gb else ""))
    return Line("database (RDS PostgreSQL)", detail, cost, cost)


def _network(env: Environment, prices: RegionPrices, assumed: Assumptions, facts: Rendered) -> list[Line]:
    hours = prices.hours_per_month
    ipv4 = prices.get("public_ipv4_hour") * hours
    lines = []
    if facts.nat_gateways:
        standing = facts.nat_gateways * prices.get("nat_gateway", "hour") * hours + facts.nat_addresses * ipv4
        data = assumed.network_gb * prices.get("nat_gateway", "gb_processed")
        # parked, the gateway and its address are removed (the network stack's Egress parameter)
        lines.append(Line("NAT gateway", f"{facts.nat_gateways} gateway, {facts.nat_addresses} public IPv4, "
                                         f"{assumed.network_gb:g} GB processed (assumed); removed while parked "
                                         "by hand, kept by a schedule",
                          standing + data, 0.0, standing + data, on_schedule="always"))
    if facts.nat_instance_type:
        kind = facts.nat_instance_type
        instance = prices.get("ec2", "instance_hour", kind) * hours
        disk = facts.nat_instance_root_gib * prices.get("ec2", "ebs_gp3_gb_month")
        # no per-GB processing charge: only AWS's usual data transfer, as for any instance
        standing = instance + ipv4 + disk
        lines.append(Line("NAT instance", f"1 × {kind} on demand, 1 public IPv4 while it runs, "
                          f"{facts.nat_instance_root_gib} GB gp3; none of it while parked",
                          standing, 0.0, standing, on_schedule="egress"))
    if facts.interface_endpoints:
        standing = facts.interface_endpoints * prices.get("vpc_endpoint", "hour_per_az") * hours
        data = assumed.network_gb * prices.get("vpc_endpoint", "gb_processed")
        zones = facts.interface_endpoints // max(1, facts.endpoint_services)
        lines.append(Line("VPC interface endpoints",
                          f"{facts.endpoint_services} services × {zones} AZs, {assumed.network_gb:g} GB "
                          "processed (assumed); the S3 gateway endpoint is free",
                          standing + data, standing, standing + data))
    if not facts.new_vpc:
        lines.append(Line("network (existing VPC)", "its NAT gateways or endpoints are billed to that VPC, "
                          "not estimated here", 0.0, 0.0, 0.0))
    applications = facts.load_balancers - facts.network_load_balancers
    if applications:
        standing = (applications * prices.get("alb", "hour") * hours
                    + facts.load_balancer_addresses * ipv4)
        capacity = assumed.alb_lcu * prices.get("alb", "lcu_hour") * hours
        lines.append(Line("load balancer (ALB)",
                          f"{applications} ALB, {facts.load_balancer_addresses} public IPv4, "
                          f"{assumed.alb_lcu:g} LCU (assumed)", standing + capacity, standing))
    if facts.network_load_balancers:
        # NLBs and ALBs share the hourly price; traffic inside the VPC is left out (its NLCUs).
        standing = facts.network_load_balancers * prices.get("alb", "hour") * hours
        lines.append(Line("internal load balancer (NLB)",
                          f"{facts.network_load_balancers} NLB inside the VPC, at the hourly rate "
                          "NLBs share with ALBs; its capacity units not estimated",
                          standing, standing))
    return lines


def _services(env: Environment, prices: RegionPrices, assumed: Assumptions, facts: Rendered,
              schedulers: int) -> list[Line]:
    retention = env.logs.retention_days
    stored_gb = assumed.logs_gb * min(retention, 365) / 30  # steady state, within the first year
    ingest = assumed.logs_gb * prices.get("cloudwatch_logs", "ingest_gb")
    stored = stored_gb * prices.get("cloudwatch_logs", "storage_gb_month")
    s3 = assumed.s3_gb * prices.get("s3", "standard_gb_month")
    lines = [
        Line("logs (CloudWatch Logs)", f"{assumed.logs_gb:g} GB a month (assumed), kept {retention} days "
             f"(~{stored_gb:g} GB stored)", ingest + stored, stored, ingest + stored),
        Line("buckets (S3)", f"{assumed.s3_gb:g} GB of task logs and DAG bundles (assumed)", s3, s3, s3),
    ]
    if facts.queues:
        sqs = assumed.sqs_million_requests * prices.get("sqs", "million_requests")
        lines.append(Line("Celery queues (SQS)", f"{facts.queues} queues, {assumed.sqs_million_requests:g} "
                          "million requests (assumed)", sqs, 0.0))
    if facts.queues:
        lines.append(_queue_metrics(prices, assumed, facts, schedulers))
    secrets = facts.secrets * prices.get("secrets_manager", "secret_month")
    lines.append(Line("secrets (Secrets Manager)", f"{facts.secrets} secrets", secrets, secrets))
    if env.ecs.image == "ecr" or env.eks.image == "ecr":
        ecr = assumed.ecr_gb * prices.get("ecr", "gb_month")
        lines.append(Line("image repository (ECR)", f"{assumed.ecr_gb:g} GB of images (assumed)", ecr, ecr))
    return lines


DOGSTATSD_TELEMETRY_METRICS = 11  # the DogStatsD client's own counters, published with the gauges


def _queue_metrics(prices: RegionPrices, assumed: Assumptions, facts: Rendered,
                   schedulers: int) -> Line:
    """Each worker group's backlog: two 10 s metrics, a high-resolution scale-out alarm and a
    standard idle alarm; the client's telemetry counters; each task's own two series while it is
    queued or running (metric-hours); each scheduler's CloudWatch agent publishing every 10 s.
    Parked, the schedulers are stopped, nothing is published, and only the alarms are billed."""
    def cloudwatch(key: str) -> float:
        return prices.get("cloudwatch", key)

    metrics = 2 * facts.queues + DOGSTATSD_TELEMETRY_METRICS
    task_metric_months = 2 * assumed.queued_task_hours / prices.hours_per_month
    publishes = schedulers * prices.hours_per_month * 3600 / 10
    alarms = facts.queues * (cloudwatch("high_resolution_alarm_month") + cloudwatch("alarm_month"))
    monthly = ((metrics + task_metric_months) * cloudwatch("metric_month") + alarms
               + publishes / 1000 * cloudwatch("thousand_requests"))
    return Line("queue metrics (CloudWatch)",
                f"{metrics} metrics at 10 s, per-task series for {assumed.queued_task_hours:g} task-hours "
                f"(assumed), {2 * facts.queues} alarms, {schedulers} "
                f"agent{'s' if schedulers > 1 else ''} publishing every 10 s", monthly, alarms)


def _notes(env: Environment, prices: RegionPrices, facts: Rendered) -> list[str]:
    notes = list(prices.notes)
    notes.append("Not estimated: data transfer out of AWS and between AZs, Container Insights metrics, "
                 "CloudWatch alarms other than the worker groups', API requests to S3 and Secrets Manager, the short utils tasks "
                 "(migrations, one-off commands).")
    notes.append("MWAA column: the MWAA environment plus the network, logs and buckets it would need "
                 "as well; MWAA includes its database, queue, web server access and workers' compute.")
    if env.airflow.executor == "celery":
        notes.append("Celery workers are counted at workers.min all month; 'at max' has every worker "
                     "group at its max all month. Real months fall between.")
    return notes
