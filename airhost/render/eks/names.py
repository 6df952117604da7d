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
