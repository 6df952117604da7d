"""Values for the official Apache Airflow Helm chart, from one pure function.

``render_values(env, facts) -> dict`` gives the chart everything about an environment: the image,
the executor, each component's replicas, resources and service account, and every ``AIRFLOW__*``
setting from the one Airflow renderer (``render_airflow_env``) as the components' environment.
``facts`` are what only the deploy knows (bucket names, the image pushed to ECR, the load
balancer's subnets); ``placeholder_facts`` names each of them for ``airhost render``.

What the chart is not left to do, because of its known traps:
- it generates no key: the Fernet key, the API secret key and the JWT secret are existing
  Kubernetes secrets (``names.KUBERNETES_SECRETS``), copied by the deploy from Secrets Manager, so
  an upgrade never rotates them and logins survive it;
- it runs no migration and creates no user: both jobs are off (no Helm hooks); airhost migrates
  the database itself before any component starts and creates the admin from the generated secret;
- with PgBouncer on, its configuration is the deploy's secret pointing at RDS (``PGBOUNCER_SECRET``),
  not the chart's default, which points at the in-cluster PostgreSQL the chart would bundle;
- no bundled PostgreSQL, no Redis, no git-sync, no default user or password anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from airhost.config.models import Environment
from airhost.config.support import official_image
from airhost.render.airflow_env import (
    ALL_COMPONENTS, EXECUTORS, SECRET_SETTINGS, Component, Site, render_airflow_env,
)
from airhost.render.data import BUNDLE_PREFIX, TASK_LOGS_PREFIX
from airhost.render.eks.access import ingress_values, tailscale_sidecar
from airhost.render.eks.identity import secrets_prefix
from airhost.render.eks.task_sizes import local_settings
from airhost.render.eks.names import (
    CHART_SECRET_VALUES, PGBOUNCER_SECRET, PGBOUNCER_STATS_SECRET, RELEASE, SERVICE_ACCOUNTS,
    queue_prefix,
)
from airhost.render.network import API_PORT

AIRFLOW_HOME = "/opt/airflow"
# Chart section of each component, and the one Airflow renderer's component for its settings.
SECTIONS: dict[str, tuple[str, Component]] = {
    "api-server": ("apiServer", "api-server"), "scheduler": ("scheduler", "scheduler"),
    "dag-processor": ("dagProcessor", "dag-processor"), "triggerer": ("triggerer", "triggerer"),
    "worker": ("workers", "worker"),
}
DEFAULT_RESOURCES = {
    "api-server": ("500m", "1Gi"), "scheduler": ("500m", "1Gi"), "dag-processor": ("250m", "1Gi"),
    "triggerer": ("250m", "512Mi"), "worker": ("1", "2Gi"), "task": ("500m", "1Gi"),
    "pgbouncer": ("100m", "128Mi"), "statsd": ("50m", "64Mi"),
}

LOCKED_DOWN = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}
# StatsD's and PgBouncer's images run as nobody.
NOBODY = {"runAsUser": 65534, "runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
SIDECAR_RESOURCES = {"requests": {"cpu": "10m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}}


@dataclass(frozen=True)
class EksFacts:
    """What the deploy knows and the render does not: stack outputs and the pushed image."""

    logs_bucket: str
    dags_bucket: str
    image: str | None = None  # repository:tag (or @digest) of the project's image (eks.image ecr)
    public_url: str | None = None
    public_subnet_ids: str | None = None  # comma-joined (access.mode alb)
    load_balancer_security_group: str | None = None  # access.mode alb


def placeholder_facts(env: Environment) -> EksFacts:
    """Named stand-ins for the deploy-time facts, for ``airhost render``."""
    alb = env.access.mode == "alb"
    return EksFacts(
        logs_bucket="PLACEHOLDER-LogsBucket", dags_bucket="PLACEHOLDER-DagsBucket",
        image="PLACEHOLDER-EcrRepositoryUri:PLACEHOLDER-tag" if env.eks.image == "ecr" else None,
        public_url=(f"https://{env.access.domain}" if env.access.domain else
                    "https://PLACEHOLDER-LoadBalancerDnsName") if alb else None,
        public_subnet_ids="PLACEHOLDER-PublicSubnetIds" if alb else None,
        load_balancer_security_group="PLACEHOLDER-LoadBalancerSecurityGroupId" if alb else None)


def api_url(env: Environment) -> str:
    """How pods reach the API server: the chart's Service in the release's namespace."""
    return f"http://{RELEASE}-api-server.{env.eks.namespace}.svc.cluster.local:{API_PORT}"


def eks_site(env: Environment, facts: EksFacts) -> Site:
    executor = env.airflow.executor
    tailscale = env.access.tailscale
    public = facts.public_url
    if env.access.mode == "tailscale" and tailscale and tailscale.tailnet:
        public = f"https://{tailscale.hostname or RELEASE}.{tailscale.tailnet}"
    return Site(
        airflow_home=AIRFLOW_HOME, dags_folder=f"{AIRFLOW_HOME}/dags", api_url=api_url(env),
        public_url=public, remote_log_base=f"s3://{facts.logs_bucket}/{TASK_LOGS_PREFIX}",
        bundle_bucket=facts.dags_bucket if env.dags.source == "bundle" else None,
        bundle_prefix=BUNDLE_PREFIX, secrets_prefix=secrets_prefix(env), region=env.region,
        broker_url="sqs://" if executor == "celery" else None,
        broker_options={"region": env.region or "", "queue_name_prefix": queue_prefix(env)}
        if executor == "celery" else {},
        statsd_address=f"{RELEASE}-statsd:9125", statsd_every_metric=True,
        kubernetes_executor={"namespace": env.eks.namespace, "delete_worker_pods": "True",
                             "delete_worker_pods_on_failure": "False"}
        if executor == "kubernetes" else {},
        cpus={component: cores(_resources(env, name)["requests"]["cpu"])
              for name, (_, component) in SECTIONS.items()},
    )


def cores(quantity: str) -> float:
    """A Kubernetes CPU quantity ("500m", "1", "1.5") in cores."""
    text = str(quantity)
    return int(text[:-1]) / 1000 if text.endswith("m") else float(text)


def _env_list(values: dict[str, str]) -> list[dict[str, str]]:
    return [{"name": name, "value": value} for name, value in values.items()]


def _settings(env: Environment, site: Site) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """The settings every component shares, and each component's own beyond them."""
    rendered = {}
    for component in ALL_COMPONENTS:
        airflow_env = render_airflow_env(env, component, site)
        unknown = set(airflow_env.secrets) - {SECRET_SETTINGS[name] for name in CHART_SECRET_VALUES}
        if unknown:
            raise ValueError(f"no Kubernetes secret carries {sorted(unknown)}")
        values = dict(airflow_env.values)
        values.pop("AIRFLOW_HOME", None)  # the chart's airflowHome sets it
        rendered[component] = values
    shared = {key: value for key, value in rendered["scheduler"].items()
              if all(rendered[other].get(key) == value for other in ALL_COMPONENTS)}
    own = {component: {key: value for key, value in values.items() if key not in shared}
           for component, values in rendered.items()}
    return shared, own


def _resources(env: Environment, name: str) -> dict[str, Any]:
    size = env.eks.resources.get(name)  # type: ignore[call-overload]
    cpu, memory = (size.cpu, size.memory) if size else DEFAULT_RESOURCES[name]
    return {"requests": {"cpu": cpu, "memory": memory}, "limits": {"memory": memory}}


def _image(env: Environment, facts: EksFacts) -> dict[str, Any]:
    reference = official_image(env.airflow.version, env.airflow.python)
    if env.eks.image == "ecr":
        reference = facts.image or reference
    repository, _, tag = reference.rpartition(":")
    return {"repository": repository, "tag": tag, "pullPolicy": "IfNotPresent"}


def render_values(env: Environment, facts: EksFacts) -> dict[str, Any]:
    """The chart's values for ``env``; pure."""
    executor = env.airflow.executor
    site = eks_site(env, facts)
    shared, own = _settings(env, site)
    values: dict[str, Any] = {
        "airflowVersion": env.airflow.version,
        "defaultAirflowRepository": "apache/airflow",
        "defaultAirflowTag": f"{env.airflow.version}-python{env.airflow.python}",
        "images": {"airflow": _image(env, facts)},
        "executor": EXECUTORS[executor],
        "airflowHome": AIRFLOW_HOME,
        "env": _env_list(shared),
        "data": {},
        "postgresql": {"enabled": False},
        "redis": {"enabled": False},
        "migrateDatabaseJob": {"enabled": False, "useHelmHooks": False},
        "createUserJob": {"enabled": False, "useHelmHooks": False},
        "statsd": {"enabled": True, "resources": _resources(env, "statsd"),
                   "securityContexts": {"pod": NOBODY, "container": LOCKED_DOWN}},
        "dags": {"gitSync": {"enabled": False}, "persistence": {"enabled": False}},
        "logs": {"persistence": {"enabled": False}},
        "flower": {"enabled": False},
        "cleanup": {"enabled": False},
        # The official image's user (uid 50000, gid 0), the runtime's default seccomp profile, no
        # privilege escalation, no Linux capability.
        "securityContexts": {
            "pod": {"runAsUser": 50000, "runAsGroup": 0, "fsGroup": 0, "runAsNonRoot": True,
                    "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": LOCKED_DOWN},
    }
    for name, (section, key, secret) in CHART_SECRET_VALUES.items():
        (values[section] if section else values)[key] = secret
    for component, (section, airflow_component) in SECTIONS.items():
        if component == "worker" and executor != "celery":
            continue
        values[section] = {
            "replicas": env.eks.replicas_of(component),
            "resources": _resources(env, component),
            "serviceAccount": {"create": True, "name": SERVICE_ACCOUNTS[component]},
            "env": _env_list(own[airflow_component]),
        }
        if component in ("scheduler", "dag-processor", "triggerer", "worker"):
            # Removes local log files once shipped to S3; bounded like every other container.
            values[section]["logGroomerSidecar"] = {"resources": SIDECAR_RESOURCES}
    if executor == "kubernetes":
        # Each task's pod: the default size (a task may ask for more with executor_config).
        values["workers"] = {"resources": _resources(env, "task"),
                             "logGroomerSidecar": {"resources": SIDECAR_RESOURCES},
                             "serviceAccount": {"create": True, "name": SERVICE_ACCOUNTS["worker"]},
                             "env": _env_list(own["worker"])}
        settings = local_settings(env)
        if settings:
            # per-queue sizes, applied by a cluster policy as DAGs are parsed
            values["airflowLocalSettings"] = settings
    if executor == "celery":
        # The one renderer sets the broker (SQS, no credential); the chart's own would repeat it.
        # The chart insists on a broker URL of its own when its Redis is off: the same, unused.
        values["enableBuiltInSecretEnvVars"] = {"AIRFLOW__CELERY__BROKER_URL": False}
        values["data"]["brokerUrl"] = "sqs://"
    values["pgbouncer"] = {"enabled": env.eks.pgbouncer}
    if env.eks.pgbouncer:
        values["pgbouncer"].update({
            "configSecretName": PGBOUNCER_SECRET, "resources": _resources(env, "pgbouncer"),
            "securityContexts": {"pod": NOBODY, "container": LOCKED_DOWN},
            "metricsExporterSidecar": {"statsSecretName": PGBOUNCER_STATS_SECRET,
                                       "resources": SIDECAR_RESOURCES}})
    values["ingress"] = ingress_values(env, facts)
    if env.access.mode == "tailscale":
        values["apiServer"]["extraContainers"] = [tailscale_sidecar(env)]
    return values
