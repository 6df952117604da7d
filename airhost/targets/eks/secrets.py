"""The Kubernetes secrets of an EKS environment, copied from its Secrets Manager secrets.

The chart only names them (``airhost.render.eks.names``), so it never generates a key of its own
and an upgrade never rotates one. Values go from Secrets Manager to the API server over TLS and
are kept there encrypted with the cluster's KMS key; they are never written to a file, a values
file or a log line. Each copy is a server-side apply: re-running converges, and a rotated secret
in Secrets Manager reaches the cluster on the next deploy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from airhost.aws.errors import NotDeployed
from airhost.progress import Progress
from airhost.render.eks.names import (
    KUBERNETES_SECRETS, PGBOUNCER_SECRET, PGBOUNCER_STATS_SECRET, RELEASE, TAILSCALE_SECRET,
)
from airhost.render.eks.pods import ADMIN_SECRET, DIRECT_DATABASE_SECRET, secret_manifest

if TYPE_CHECKING:
    from airhost.targets.eks.deployment import EksDeployment

PGBOUNCER_PORT = 6543


def _value(deployment: EksDeployment, output: str) -> str:
    arn = deployment.outputs_by_layer["data"].get(output)
    if not arn:
        raise NotDeployed(f"the data stack of {deployment.env.name} has no {output}",
                          hint=f"run 'airhost deploy {deployment.env.name}' to complete it")
    secret = deployment.secrets.get_json(arn)
    return secret["value"] if set(secret) == {"value"} else secret.get("password", "")


def secret_values(deployment: EksDeployment) -> dict[str, dict[str, str]]:
    """Kubernetes secret name → its keys and values, read from Secrets Manager now."""
    env, data = deployment.env, deployment.outputs_by_layer["data"]
    secrets = {name: {key: _value(deployment, output)}
               for name, (key, output) in KUBERNETES_SECRETS.items()}
    direct = secrets["airhost-database"]["connection"]
    secrets[DIRECT_DATABASE_SECRET] = {"connection": direct}
    admin = deployment.secrets.get_json(data["AdminPasswordSecretArn"])
    secrets[ADMIN_SECRET] = {"username": admin.get("username", "admin"),
                             "password": admin.get("password", "")}
    if env.eks.pgbouncer:
        master = deployment.secrets.get_json(data["DatabaseSecretArn"])
        user, password = master.get("username", "airflow"), master.get("password", "")
        pool = f"{RELEASE}-metadata"
        secrets["airhost-database"] = {"connection": (
            f"postgresql+psycopg2://{user}:{password}@{RELEASE}-pgbouncer.{env.eks.namespace}:"
            f"{PGBOUNCER_PORT}/{pool}")}
        secrets[PGBOUNCER_SECRET] = {
            "pgbouncer.ini": "\n".join([
                "[databases]",
                f"{pool} = host={data['DatabaseEndpoint']} dbname={data.get('DatabaseName', 'airflow')} "
                f"port={data.get('DatabasePort', '5432')} pool_size=10",
                "", "[pgbouncer]", "pool_mode = transaction", f"listen_port = {PGBOUNCER_PORT}",
                "listen_addr = *", "auth_type = scram-sha-256",
                "auth_file = /etc/pgbouncer/users.txt", f"stats_users = {user}",
                "ignore_startup_parameters = extra_float_digits", "max_client_conn = 100",
                "server_tls_sslmode = require", ""]),
            "users.txt": f'"{user}" "{password}"\n'}
        secrets[PGBOUNCER_STATS_SECRET] = {"connection": (
            f"postgresql://{user}:{password}@127.0.0.1:{PGBOUNCER_PORT}/pgbouncer?sslmode=disable")}
    tailscale = env.access.tailscale
    if env.access.mode == "tailscale" and tailscale:
        key = deployment.secrets.get_json(tailscale.auth_key_secret_arn)
        secrets[TAILSCALE_SECRET] = {"authkey": key.get("value") or key.get("authkey", "")}
    return secrets


def copy_secrets(deployment: EksDeployment, progress: Progress) -> list[str]:
    """Apply every secret in the release's namespace; their names (never their values)."""
    names = []
    for name, data in sorted(secret_values(deployment).items()):
        deployment.kubernetes.apply(secret_manifest(deployment.env, name, data))
        names.append(name)
    progress.detail(f"{len(names)} Kubernetes secrets from Secrets Manager: {', '.join(names)}")
    return names
