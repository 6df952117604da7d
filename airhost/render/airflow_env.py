"""The one renderer of Airflow's own configuration, for every component on every target.

``render_airflow_env(env, component, site)`` turns an environment and the facts of where it runs (a
``Site``, supplied by the target: paths, URLs, buckets) into the ``AIRFLOW__*`` variables a component
needs. Values that are secrets are never rendered: they appear as references (``secrets``: variable →
secret name) that each target injects its own way — files read through Airflow's ``*_CMD`` variables
locally, the task definition's ``secrets`` on ECS. Pure: same input, same output, no I/O.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Literal

from airhost.config.models import Environment

Component = Literal["api-server", "scheduler", "dag-processor", "triggerer", "worker", "utils"]
COMPONENTS: tuple[Component, ...] = ("api-server", "scheduler", "dag-processor", "triggerer")
ALL_COMPONENTS: tuple[Component, ...] = COMPONENTS + ("worker", "utils")

EXECUTORS = {
    "local": "LocalExecutor",
    "celery": "CeleryExecutor",
    "ecs": "airflow.providers.amazon.aws.executors.ecs.ecs_executor.AwsEcsExecutor",
    "kubernetes": "KubernetesExecutor",
}
AUTH_MANAGERS = {
    "simple": "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager",
    "fab": "airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager",
}
SSM_BACKEND = "airflow.providers.amazon.aws.secrets.systems_manager.SystemsManagerParameterStoreBackend"
S3_BUNDLE = "airflow.providers.amazon.aws.bundles.s3.S3DagBundle"
LOCAL_BUNDLE = "airflow.dag_processing.bundles.local.LocalDagBundle"
GIT_BUNDLE = "airflow.providers.git.bundles.git.GitDagBundle"
BUNDLE_NAME = "dags"

# Airflow's own gauges of the work each Celery queue holds: task instances queued (sent to the
# queue, not yet started) and running, tagged with their queue (and DAG and task). The scheduler
# counts them in the metadata database every ``TI_METRICS_INTERVAL`` seconds (stock: 30).
STATSD_PREFIX = "airflow"
BACKLOG_GAUGES = ("ti.queued", "ti.running")
TI_METRICS_INTERVAL = 5

# Secret name → the Airflow variable it fills. Targets know how to store and inject each name.
SECRET_SETTINGS = {
    "database_url": "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",
    "fernet_key": "AIRFLOW__CORE__FERNET_KEY",
    "jwt_secret": "AIRFLOW__API_AUTH__JWT_SECRET",
    "api_secret_key": "AIRFLOW__API__SECRET_KEY",
}
ADMIN_USER = "admin"

# Sizing from where a component runs. Airflow's own advice for ``[api] workers`` is about one per
# CPU core, and more API servers rather than many workers in one; four is where that advice starts.
MAX_API_WORKERS = 4
# Airflow's defaults: 32 tasks at once; 5 pooled database connections per process.
DEFAULT_PARALLELISM = 32
DEFAULT_POOL_SIZE = 5
MAX_POOL_SIZE = 16  # with Airflow's 10 overflow: 26 connections at most, within a small RDS's limit


@dataclass(frozen=True)
class Site:
    """Where an environment's Airflow runs: facts the target supplies to the renderer."""

    airflow_home: str
    dags_folder: str
    api_url: str  # how components reach the API server (the task execution API lives under it)
    api_host: str = "0.0.0.0"
    api_port: int = 8080
    public_url: str | None = None  # how people reach the UI, when it differs from api_url
    log_folder: str | None = None
    log_server_port: int | None = None  # where workers (LocalExecutor: the scheduler) serve live logs
    trigger_log_server_port: int | None = None  # where the triggerer serves live logs
    remote_log_base: str | None = None  # s3://bucket/prefix for task logs
    bundle_bucket: str | None = None  # S3 bucket of the DAG bundle (source: bundle on cloud)
    bundle_prefix: str = "dags"
    secrets_prefix: str | None = None  # SSM path for Airflow connections and variables
    region: str | None = None
    broker_url: str | None = None  # Celery broker when it holds no credential
    passwords_file: str | None = None  # SimpleAuthManager's password file
    extra_secrets: dict[str, str] = field(default_factory=dict)  # variable → secret name
    broker_options: dict[str, str] = field(default_factory=dict)  # [celery_broker_transport_options]
    ecs_executor: dict[str, str] = field(default_factory=dict)  # [aws_ecs_executor], executor ecs only
    statsd_address: str | None = None  # host:port of a DogStatsD listener for the backlog gauges
    # The target brings the schema to the installed revision before any component starts (local
    # ``up`` checks or migrates first), so components need not each load every migration script to
    # check it again at start.
    migrated_before_start: bool = False
    plugins_folder: str | None = None  # the project's plugins, where not in AIRFLOW_HOME/plugins
    statsd_every_metric: bool = False  # every metric to the listener, not only the backlog gauges
    kubernetes_executor: dict[str, str] = field(default_factory=dict)  # [kubernetes_executor]
    # CPU cores each component has where it runs (its task's, its pod's request, its instance's
    # vCPUs, this machine's), divided evenly among the components that share them; settings that
    # follow a component's size are rendered from it, Airflow's defaults where it is not listed.
    cpus: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class AirflowEnv:
    """A component's rendered environment: plain values and references to secrets."""

    values: dict[str, str]
    secrets: dict[str, str]  # variable → secret name


def render_airflow_env(env: Environment, component: Component, site: Site) -> AirflowEnv:
    """The complete Airflow environment of one component of ``env`` running at ``site``."""
    if component not in ALL_COMPONENTS:
        raise ValueError(f"unknown component {component!r}")
    values: dict[str, str] = {"AIRFLOW_HOME": site.airflow_home}
    values.update(_core(env, site))
    values.update(_api(env, site))
    values.update(_dag_bundles(env, site))
    values.update(_logging(env, site))
    values.update(_secrets_backend(env, site))
    values.update(_executor(env, component, site))
    values.update(_metrics(site))
    values.update(_sizing(env, component, site))
    values.update(_user_settings(env))
    secrets = {variable: name for name, variable in SECRET_SETTINGS.items()}
    secrets.update(site.extra_secrets)
    for variable in secrets:
        values.pop(variable, None)
    return AirflowEnv(values=dict(sorted(values.items())), secrets=dict(sorted(secrets.items())))


def setting(section: str, key: str) -> str:
    """The environment variable Airflow reads for ``[section] key``."""
    return f"AIRFLOW__{section.upper()}__{key.upper()}"


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"
    return str(value)


def _core(env: Environment, site: Site) -> dict[str, str]:
    values = {
        setting("core", "executor"): EXECUTORS[env.airflow.executor],
        setting("core", "auth_manager"): AUTH_MANAGERS[env.auth_manager],
        setting("core", "load_examples"): "False",
        setting("core", "dags_folder"): site.dags_folder,
        setting("core", "dags_are_paused_at_creation"): "True",
        setting("core", "execution_api_server_url"): site.api_url.rstrip("/") + "/execution/",
        setting("database", "check_migrations"): _text(not site.migrated_before_start),
    }
    if site.plugins_folder:
        values[setting("core", "plugins_folder")] = site.plugins_folder
    if env.auth_manager == "simple":
        values[setting("core", "simple_auth_manager_users")] = f"{ADMIN_USER}:admin"
        if site.passwords_file:
            values[setting("core", "simple_auth_manager_passwords_file")] = site.passwords_file
    return values


def _api(env: Environment, site: Site) -> dict[str, str]:
    return {
        setting("api", "host"): site.api_host,
        setting("api", "port"): str(site.api_port),
        setting("api", "base_url"): (site.public_url or site.api_url).rstrip("/") + "/",
        setting("api", "expose_config"): "False",
    }


def _dag_bundles(env: Environment, site: Site) -> dict[str, str]:
    dags = env.dags
    refresh = dags.refresh_seconds
    if dags.source == "git" and dags.git is not None:
        bundle = {"name": BUNDLE_NAME, "classpath": GIT_BUNDLE,
                  "kwargs": {"repo_url": dags.git.url, "tracking_ref": dags.git.branch,
                             "subdir": dags.git.subdir, "refresh_interval": refresh}}
    elif dags.source == "bundle" and site.bundle_bucket:
        bundle = {"name": BUNDLE_NAME, "classpath": S3_BUNDLE,
                  "kwargs": {"bucket_name": site.bundle_bucket, "prefix": site.bundle_prefix,
                             "aws_conn_id": "aws_default", "refresh_interval": refresh}}
    else:
        bundle = {"name": BUNDLE_NAME, "classpath": LOCAL_BUNDLE,
                  "kwargs": {"path": site.dags_folder, "refresh_interval": refresh}}
    return {
        setting("dag_processor", "dag_bundle_config_list"): json.dumps([bundle], sort_keys=True),
        setting("dag_processor", "refresh_interval"): str(refresh),
        setting("dag_processor", "bundle_refresh_check_interval"): str(min(refresh, 5)),
    }


def _logging(env: Environment, site: Site) -> dict[str, str]:
    values: dict[str, str] = {}
    if site.log_folder:
        values[setting("logging", "base_log_folder")] = site.log_folder
    if site.log_server_port:
        values[setting("logging", "worker_log_server_port")] = str(site.log_server_port)
    if site.trigger_log_server_port:
        values[setting("logging", "trigger_log_server_port")] = str(site.trigger_log_server_port)
    if site.remote_log_base:
        values[setting("logging", "remote_logging")] = "True"
        values[setting("logging", "remote_base_log_folder")] = site.remote_log_base
        values[setting("logging", "remote_log_conn_id")] = "aws_default"
        values[setting("logging", "encrypt_s3_logs")] = "False"  # the bucket encrypts at rest
    return values


def _secrets_backend(env: Environment, site: Site) -> dict[str, str]:
    if not site.secrets_prefix:
        return {}
    kwargs = {"connections_prefix": f"{site.secrets_prefix}/connections",
              "variables_prefix": f"{site.secrets_prefix}/variables"}
    if site.region:
        kwargs["region_name"] = site.region
    return {
        setting("secrets", "backend"): SSM_BACKEND,
        setting("secrets", "backend_kwargs"): json.dumps(kwargs, sort_keys=True),
    }


def _executor(env: Environment, component: Component, site: Site) -> dict[str, str]:
    values: dict[str, str] = {}
    if env.airflow.executor == "celery":
        values[setting("celery", "worker_concurrency")] = str(env.workers.tasks_per_worker)
        # Celery's remote control needs broadcast queues SQS does not have: off on SQS, where it
        # would only try to create reply queues; on with Redis (``celery inspect`` works).
        sqs = (site.broker_url or "").startswith("sqs")
        values[setting("celery", "worker_enable_remote_control")] = _text(not sqs)
        if site.broker_url:
            values[setting("celery", "broker_url")] = site.broker_url
        for key, value in site.broker_options.items():
            values[setting("celery_broker_transport_options", key)] = value
    if env.airflow.executor == "ecs":
        for key, value in site.ecs_executor.items():
            values[setting("aws_ecs_executor", key)] = value
    if env.airflow.executor == "kubernetes":
        for key, value in site.kubernetes_executor.items():
            values[setting("kubernetes_executor", key)] = value
    if site.region:
        values["AWS_DEFAULT_REGION"] = site.region
    return values


def _metrics(site: Site) -> dict[str, str]:
    """StatsD with DogStatsD tags (the queue a task is on is a tag), only the backlog gauges."""
    if not site.statsd_address:
        return {}
    host, _, port = site.statsd_address.rpartition(":")
    if site.statsd_every_metric:  # a StatsD exporter beside Airflow (the Helm chart's)
        return {setting("metrics", "statsd_on"): "True", setting("metrics", "statsd_host"): host,
                setting("metrics", "statsd_port"): port,
                setting("metrics", "statsd_prefix"): STATSD_PREFIX}
    allow = ",".join("^" + gauge.replace(".", "\\.") + "$" for gauge in BACKLOG_GAUGES)
    return {
        setting("metrics", "statsd_on"): "True",
        setting("metrics", "statsd_datadog_enabled"): "True",
        setting("metrics", "statsd_host"): host,
        setting("metrics", "statsd_port"): port,
        setting("metrics", "statsd_prefix"): STATSD_PREFIX,
        setting("metrics", "metrics_allow_list"): allow,
        setting("metrics", "legacy_names_on"): "False",
        setting("scheduler", "ti_metrics_interval"): str(TI_METRICS_INTERVAL),
    }


def _sizing(env: Environment, component: Component, site: Site) -> dict[str, str]:
    """Settings that follow the CPU cores a component has.

    The API server serves the Task Execution API: every running task calls it to start, heartbeat
    and finish, from a thread pool in each API worker. One worker is one core at most (the GIL);
    measured on 2 cores with one worker, a 200-task run kept it busy and its other requests waited
    over 10 s. A second worker there, on cores shared with the scheduler and its tasks, cost
    about 10 % more CPU per task and no measurable speed. So: a worker per core the API server
    has to itself (its own task, pod or instance), one where it shares them. Each worker's
    database pool holds what its share of the running tasks needs at once; with Airflow's 5 (and
    10 overflow connections, closed after each use) the API server opened 313 PostgreSQL
    connections in a 200-task run (a backend start each), against 17 with the pool sized so.
    """
    cores = site.cpus.get(component)
    if component != "api-server" or not cores:
        return {}
    workers = max(1, min(MAX_API_WORKERS, math.floor(cores)))
    parallelism = int(env.airflow.config.get("core", {}).get("parallelism", DEFAULT_PARALLELISM))
    pool = max(DEFAULT_POOL_SIZE, min(MAX_POOL_SIZE, math.ceil(parallelism / workers)))
    return {setting("api", "workers"): str(workers),
            setting("database", "sql_alchemy_pool_size"): str(pool)}


def _user_settings(env: Environment) -> dict[str, str]:
    return {
        setting(section, key): _text(value)
        for section, settings in env.airflow.config.items()
        for key, value in settings.items()
    }
