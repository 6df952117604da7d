"""Names the EKS compute stack, the Helm values and the deploy agree on.

The Kubernetes secrets are created in the release's namespace by the deploy, from the data stack's
Secrets Manager secrets, before the chart is installed; the chart only names them, so it never
generates (nor rotates on upgrade) a key of its own. Each secret holds one key, the one the chart
reads.

With PgBouncer on (``eks.pgbouncer``, the default) the components connect through it: the deploy
writes ``airhost-database`` as the URL of the chart's PgBouncer Service
(``airflow-pgbouncer.<namespace>:6543``, database ``airflow-metadata``) and ``airhost-pgbouncer``'s
``pgbouncer.ini`` pointing at RDS with the generated credentials; airhost's own migration connects
to RDS directly. Without PgBouncer, ``airhost-database`` is the data stack's URL secret as is.
"""

from __future__ import annotations

from dataclasses import dataclass

from airhost.config.models import Environment
from airhost.render.common import prefix

RELEASE = "airflow"  # the Helm release name

# Kubernetes secret → (key the chart reads, the data stack output whose secret fills it).
KUBERNETES_SECRETS = {
    "airhost-database": ("connection", "DatabaseUrlSecretArn"),
    "airhost-fernet-key": ("fernet-key", "FernetKeySecretArn"),
    "airhost-api-secret-key": ("api-secret-key", "ApiSecretKeySecretArn"),
    "airhost-jwt-secret": ("jwt-secret", "JwtSecretArn"),
}
# PgBouncer's own configuration (pgbouncer.ini pointing at RDS, users.txt), composed by the deploy
# from the database secret; and the connection its metrics exporter uses.
PGBOUNCER_SECRET = "airhost-pgbouncer"
PGBOUNCER_STATS_SECRET = "airhost-pgbouncer-stats"
# The Tailscale auth key (access.mode tailscale), copied from access.tailscale.auth_key_secret_arn.
TAILSCALE_SECRET = "airhost-tailscale"
# The Airflow renderer's secret names → the chart value naming the existing secret.
CHART_SECRET_VALUES = {
    "database_url": ("data", "metadataSecretName", "airhost-database"),
    "fernet_key": (None, "fernetKeySecretName", "airhost-fernet-key"),
    "api_secret_key": (None, "apiSecretKeySecretName", "airhost-api-secret-key"),
    "jwt_secret": (None, "jwtSecretName", "airhost-jwt-secret"),
}

# Component → the Kubernetes service account its pods run as (each gets its own AWS role).
SERVICE_ACCOUNTS = {
    "api-server": "airflow-api-server",
    "scheduler": "airflow-scheduler",
    "dag-processor": "airflow-dag-processor",
    "triggerer": "airflow-triggerer",
    "worker": "airflow-worker",  # Celery workers, and every KubernetesExecutor task pod
}


def cluster_name(env: Environment) -> str:
    """The cluster Airflow runs in: the existing one named in eks.cluster, else ``{project}-{env}``."""
    return env.eks.cluster or prefix(env)


def queue_prefix(env: Environment) -> str:
    return f"{prefix(env)}-"


@dataclass(frozen=True)
class Workload:
    """A Deployment or StatefulSet the chart creates in the release, at its configured replicas."""

    component: str
    kind: str  # Deployment | StatefulSet
    name: str
    replicas: int

    @property
    def resource(self) -> str:
        """Its resource in the ``apps/v1`` API: ``deployments`` or ``statefulsets``."""
        return "deployments" if self.kind == "Deployment" else "statefulsets"


def release_workloads(env: Environment) -> list[Workload]:
    """The workloads the official chart (1.21) renders from ``render_values(env, ...)``, in the
    order they start: what the release needs first (PgBouncer, StatsD), the scheduler last.

    The kinds are the chart's own choices for the values airhost gives it (persistence is left at
    the chart's default, on): the triggerer and Celery workers are StatefulSets; the scheduler is
    one with the LocalExecutor, where it runs the tasks, else a Deployment. StatsD is always one
    replica (the chart hard-codes it), PgBouncer the chart's default one. Tests hold this list
    to what real Helm renders for every example.
    """
    executor = env.airflow.executor
    found = []
    if env.eks.pgbouncer:
        found.append(Workload("pgbouncer", "Deployment", f"{RELEASE}-pgbouncer", 1))
    found.append(Workload("statsd", "Deployment", f"{RELEASE}-statsd", 1))
    for component in ("api-server", "dag-processor", "triggerer", "worker", "scheduler"):
        if component == "worker" and executor != "celery":
            continue  # the KubernetesExecutor starts a pod per task; no worker to scale
        stateful = component in ("triggerer", "worker") or (component == "scheduler"
                                                             and executor == "local")
        found.append(Workload(component, "StatefulSet" if stateful else "Deployment",
                              f"{RELEASE}-{component}", env.eks.replicas_of(component)))
    return found
