"""An MWAA environment, as GetEnvironment describes it, translated into airhost.yaml data and report rows.

Pure: no AWS calls, no files. The importer reads the environment (and the VPC of its subnets, which
MWAA does not name), calls ``translate``, then fetches what ``sources`` names from the bucket.

The project has a ``local`` environment (LocalExecutor: no Redis needed on a laptop) and a ``prod``
ECS environment of equal capacity: Celery workers of the class's size, as many as MWAA ran between
its minimum and maximum, each running as many tasks as the class (or ``celery.worker_autoscale``)
let it; the same number of schedulers; API servers for its web servers; its VPC and subnets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from airhost.config import support
from airhost.config.ecs import EcsSettings
from airhost.mwaa.classes import CAPACITIES, ClassCapacity
from airhost.mwaa.options import translate_options

CLOUD_ENVIRONMENT = "prod"
ROLE_FOLDER = "mwaa-execution-role"
MAX_SCHEDULERS = EcsSettings.model_fields["schedulers"].metadata[-1].le


@dataclass(frozen=True)
class ReportRow:
    """One MWAA setting and what it became: mapped, changed, dropped, or to do by hand."""

    setting: str
    value: str
    became: str
    status: str  # mapped | changed | dropped | manual
    why: str = ""

    def to_json(self) -> dict[str, str]:
        return {"setting": self.setting, "value": self.value, "became": self.became,
                "status": self.status, "why": self.why}


@dataclass(frozen=True)
class ExecutionRole:
    """What the importer learned of the environment's execution role: its policies, or why not."""

    managed: list[str]
    inline: list[str]
    unreadable: str | None = None


@dataclass(frozen=True)
class S3Object:
    key: str
    version: str | None


@dataclass(frozen=True)
class Sources:
    """What the importer reads from the environment's source bucket."""

    bucket: str
    dags_prefix: str
    requirements: S3Object | None
    plugins: S3Object | None
    startup_script: S3Object | None


@dataclass(frozen=True)
class Translation:
    project: dict[str, Any]
    rows: list[ReportRow]
    sources: Sources
    source_version: str
    airflow_version: str

    @property
    def from_airflow2(self) -> bool:
        return self.source_version.startswith("2.")


def project_name(environment_name: str) -> str:
    """An airhost project name (lowercase, hyphens, at most 24) from an MWAA environment name."""
    name = re.sub(r"[^a-z0-9]+", "-", environment_name.lower()).strip("-")
    name = re.sub(r"^[^a-z]+", "", name)[:24].strip("-")
    return name if len(name) >= 2 else f"mwaa-{name}".strip("-")


def bucket_of(arn: str) -> str:
    return arn.rsplit(":", 1)[-1]


def _object(environment: dict[str, Any], path: str, version: str) -> S3Object | None:
    key = environment.get(path)
    return S3Object(key.lstrip("/"), environment.get(version)) if key else None


def _version(source: str, rows: list[ReportRow]) -> str:
    newest = support.DEFAULT_AIRFLOW_VERSION
    try:
        major, minor, _ = support.parse_airflow_version(source)
    except ValueError:
        major, minor = int(source.split(".")[0]) if source[:1].isdigit() else 0, 0
    if major == 3 and minor >= 2:
        rows.append(ReportRow("AirflowVersion", source, f"airflow.version {source}", "mapped"))
        return source
    why = ("airhost runs Airflow 3: the DAGs and plugins need the changes listed under "
           "'Airflow 2 to 3' below" if major == 2 else
           "Celery workers on ECS scale on per-queue gauges Airflow emits from 3.2 on")
    rows.append(ReportRow("AirflowVersion", source, f"airflow.version {newest}", "changed", why))
    return newest


def _capacity(environment: dict[str, Any], capacity: ClassCapacity, tasks: int | None,
              rows: list[ReportRow]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The ECS environment's ``ecs`` and ``workers`` sections."""
    name = capacity.name
    low = environment.get("MinWorkers") or 1
    # MWAA's default maximum is 10 workers
    high = max(environment.get("MaxWorkers") or min(10, capacity.max_workers) if capacity.autoscales else 1,
               low)
    per_worker = tasks or capacity.tasks_per_worker
    size = capacity.task_size
    rows.append(ReportRow("EnvironmentClass", name,
                          f"workers.size and ecs.sizes.scheduler {capacity.vcpu} vCPU / "
                          f"{capacity.memory_gb} GB; workers.tasks_per_worker {per_worker}", "mapped",
                          "the class's worker and scheduler size"
                          + ("" if tasks else f", {capacity.tasks_per_worker} tasks per worker by default")))
    rows.append(ReportRow("MinWorkers / MaxWorkers", f"{low} / {high}",
                          f"workers.min {low}, workers.max {high}", "mapped",
                          "Application Auto Scaling keeps the workers between them by queued and "
                          "running tasks"))
    schedulers = environment.get("Schedulers") or capacity.default_schedulers
    if schedulers > MAX_SCHEDULERS:
        rows.append(ReportRow("Schedulers", str(schedulers), f"ecs.schedulers {MAX_SCHEDULERS}", "changed",
                              f"airhost runs at most {MAX_SCHEDULERS} schedulers"))
        schedulers = MAX_SCHEDULERS
    else:
        rows.append(ReportRow("Schedulers", str(schedulers), f"ecs.schedulers {schedulers}", "mapped"))
    webservers = environment.get("MinWebservers") or capacity.default_webservers
    most = environment.get("MaxWebservers") or webservers
    rows.append(ReportRow("MinWebservers / MaxWebservers", f"{webservers} / {most}",
                          f"ecs.api_servers {webservers}", "mapped" if most == webservers else "changed",
                          "" if most == webservers else
                          "airhost runs a fixed number of API servers: raise ecs.api_servers for more"))
    ecs = {"topology": "split", "image": "ecr", "schedulers": schedulers, "api_servers": webservers,
           "sizes": {"scheduler": dict(size)}}
    # separate dicts, so airhost.yaml spells both out rather than as a YAML alias
    workers = {"min": low, "max": high, "tasks_per_worker": per_worker, "size": dict(size)}
    return ecs, workers


def _access(mode: str | None, rows: list[ReportRow]) -> dict[str, str]:
    if mode in (None, "PRIVATE_ONLY"):
        rows.append(ReportRow("WebserverAccessMode", mode or "PRIVATE_ONLY", "access.mode private", "mapped"))
    else:
        rows.append(ReportRow("WebserverAccessMode", mode, "access.mode private", "manual",
                              "the web server was reachable from the internet: for the same, set "
                              "access.mode alb with access.certificate_arn (an ACM certificate) and "
                              "access.allowed_cidrs (who may connect), and two public subnets"))
    return {"mode": "private"}


def _network(environment: dict[str, Any], vpc_id: str, rows: list[ReportRow]) -> dict[str, Any]:
    network = environment.get("NetworkConfiguration") or {}
    subnets = list(network.get("SubnetIds") or [])
    rows.append(ReportRow("NetworkConfiguration.SubnetIds", ", ".join(subnets),
                          f"network.vpc_id {vpc_id}, network.private_subnet_ids", "mapped",
                          "the same VPC and private subnets"))
    groups = network.get("SecurityGroupIds") or []
    if groups:
        rows.append(ReportRow("NetworkConfiguration.SecurityGroupIds", ", ".join(groups), "-", "manual",
                              "airhost creates its own security groups: allow them wherever these were "
                              "allowed (databases, APIs your DAGs reach)"))
    return {"vpc_id": vpc_id, "private_subnet_ids": subnets}


def _role_row(arn: str, role: ExecutionRole | None) -> ReportRow:
    why = ("the new environment's task role needs this role's permissions to your data (S3, Glue, "
           "Redshift, ...): grant them to the task role after the first deploy; MWAA's own (its "
           "bucket, CloudWatch, SQS) are not needed")
    if role and role.unreadable:
        why += f". Its policies could not be read ({role.unreadable}): see them in the IAM console"
    elif role:
        if role.managed:
            why += ". Managed policies: " + ", ".join(role.managed)
        if role.inline:
            why += (". Inline policies: " + ", ".join(role.inline)
                    + f" (their documents are in {ROLE_FOLDER}/)")
    return ReportRow("ExecutionRoleArn", arn, "-", "manual", why)


def _unmapped(environment: dict[str, Any], rows: list[ReportRow], role: ExecutionRole | None) -> None:
    if environment.get("ExecutionRoleArn"):
        rows.append(_role_row(environment["ExecutionRoleArn"], role))
    if environment.get("KmsKey"):
        rows.append(ReportRow("KmsKey", environment["KmsKey"], "-", "dropped",
                              "airhost encrypts its buckets and database with AWS-managed keys"))
    if environment.get("WeeklyMaintenanceWindowStart"):
        rows.append(ReportRow("WeeklyMaintenanceWindowStart", environment["WeeklyMaintenanceWindowStart"],
                              "-", "dropped", "airhost upgrades when you run 'airhost upgrade'"))
    if environment.get("LoggingConfiguration"):
        rows.append(ReportRow("LoggingConfiguration", "per-component CloudWatch log groups",
                              "logs.retention_days 30", "changed",
                              "airhost logs every component to CloudWatch and task logs to S3"))
    if environment.get("EndpointManagement") == "CUSTOMER":
        rows.append(ReportRow("EndpointManagement", "CUSTOMER", "-", "dropped",
                              "MWAA's VPC endpoints are not needed by airhost"))
    if environment.get("CeleryExecutorQueue"):
        rows.append(ReportRow("CeleryExecutorQueue", environment["CeleryExecutorQueue"],
                              "celery.broker sqs", "changed", "airhost creates its own SQS queues"))
    tags = environment.get("Tags") or {}
    if tags:
        rows.append(ReportRow("Tags", ", ".join(f"{k}={v}" for k, v in sorted(tags.items())), "-",
                              "dropped", "airhost tags its stacks with project and environment"))
    status = environment.get("Status")
    if status and status != "AVAILABLE":
        rows.append(ReportRow("Status", status, "-", "manual",
                              "the environment was not AVAILABLE when imported: check its settings"))


def _sources(environment: dict[str, Any], rows: list[ReportRow]) -> Sources:
    bucket = bucket_of(environment.get("SourceBucketArn") or "")
    dags = (environment.get("DagS3Path") or "dags").strip("/")
    rows.append(ReportRow("DagS3Path", f"s3://{bucket}/{dags}", "dags/", "mapped", "copied"))
    sources = Sources(bucket, dags, _object(environment, "RequirementsS3Path", "RequirementsS3ObjectVersion"),
                      _object(environment, "PluginsS3Path", "PluginsS3ObjectVersion"),
                      _object(environment, "StartupScriptS3Path", "StartupScriptS3ObjectVersion"))
    for setting, item, became in (("RequirementsS3Path", sources.requirements, "requirements.txt"),
                                  ("PluginsS3Path", sources.plugins, "plugins/")):
        if item:
            version = f" (version {item.version})" if item.version else ""
            rows.append(ReportRow(setting, f"s3://{bucket}/{item.key}{version}", became, "mapped",
                                  "copied at the version MWAA uses" if item.version else "copied"))
    if sources.startup_script:
        rows.append(ReportRow("StartupScriptS3Path", f"s3://{bucket}/{sources.startup_script.key}",
                              "mwaa-startup/", "manual",
                              "downloaded, never run: port what it does (environment variables, system "
                              "packages) into requirements.txt or the image by hand"))
    return sources


def translate(environment: dict[str, Any], *, region: str, vpc_id: str,
              execution_role: ExecutionRole | None = None) -> Translation:
    """airhost.yaml data, the report rows, and the bucket objects to fetch, for one MWAA environment."""
    rows: list[ReportRow] = []
    name = environment["Name"]
    source_version = environment.get("AirflowVersion") or ""
    version = _version(source_version, rows)
    airflow2 = source_version.startswith("2.")
    options = translate_options(environment.get("AirflowConfigurationOptions") or {}, airflow2=airflow2)
    capacity = CAPACITIES.get(environment.get("EnvironmentClass") or "mw1.small", CAPACITIES["mw1.small"])
    ecs, workers = _capacity(environment, capacity, options.tasks_per_worker, rows)
    for outcome in options.outcomes:
        status = {"kept": "mapped", "cloud-only": "mapped", "renamed": "changed"}.get(outcome.status,
                                                                                      outcome.status)
        became = f"airflow.config {outcome.became}" if outcome.became and "." in outcome.became and \
            not outcome.became.startswith("workers.") else (outcome.became or "-")
        rows.append(ReportRow(f"AirflowConfigurationOptions {outcome.option}", outcome.value, became,
                              status, outcome.why))
    cloud: dict[str, Any] = {
        "target": "ecs", "region": region,
        "airflow": {"executor": "celery"},
        "ecs": ecs, "celery": {"broker": "sqs"}, "workers": workers,
        "network": _network(environment, vpc_id, rows),
        "access": _access(environment.get("WebserverAccessMode"), rows),
        "mwaa": {"environment": name, "environment_class": capacity.name,
                 "min_workers": workers["min"], "max_workers": workers["max"],
                 "schedulers": environment.get("Schedulers") or capacity.default_schedulers,
                 "min_webservers": ecs["api_servers"],
                 "max_webservers": max(environment.get("MaxWebservers") or 0, ecs["api_servers"])},
    }
    if options.cloud_only:
        cloud["airflow"]["config"] = options.cloud_only
    sources = _sources(environment, rows)
    _unmapped(environment, rows, execution_role)
    airflow: dict[str, Any] = {"version": version, "python": support.DEFAULT_PYTHON,
                               "requirements": "requirements.txt", "plugins": "plugins"}
    if options.shared:
        airflow["config"] = options.shared
    project = {"project": project_name(name), "airflow": airflow, "dags": {"folder": "dags"},
               "environments": {"local": {"target": "local"}, CLOUD_ENVIRONMENT: cloud}}
    return Translation(project, rows, sources, source_version, version)
