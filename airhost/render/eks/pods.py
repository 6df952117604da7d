"""What airhost itself puts in the release's namespace beside the chart, from pure functions.

Before the chart is installed the deploy creates the namespace, the Kubernetes secrets the chart
names (copied from Secrets Manager), and the scheduler's service account, labelled the way Helm
adopts an object into a release (so the chart takes it over on install). One-off Airflow
commands run as a pod of the same image, settings and service account as the scheduler
(``command_pod``): the bootstrap (``airflow db migrate``, the admin user) as a Job that is never
retried, ``airhost run`` as a bare pod. Their database URL is RDS's own, never PgBouncer's: a
migration takes locks a transaction pooler would not hold, and a bare pod must not depend on
the chart. The admin's name and password reach only the bootstrap, from ``ADMIN_SECRET``.
"""

from __future__ import annotations

import copy
from typing import Any

from airhost.config.models import Environment
from airhost.render.airflow_env import SECRET_SETTINGS
from airhost.render.eks.names import (
    CHART_SECRET_VALUES, KUBERNETES_SECRETS, RELEASE, SERVICE_ACCOUNTS,
)

# RDS's own URL (the data stack's URL secret as is), for airhost's one-off pods.
DIRECT_DATABASE_SECRET = "airhost-database-direct"
# The admin's user name and generated password (keys username, password), for the bootstrap only.
ADMIN_SECRET = "airhost-admin"
MANAGED_BY = {"app.kubernetes.io/managed-by": "airhost"}
PURPOSE_LABEL = "airhost.dev/purpose"
ONE_OFF = "utils"  # how logs and status name one-off commands, as on the other targets


def namespace_manifest(env: Environment) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": env.eks.namespace, "labels": dict(MANAGED_BY)}}


def secret_manifest(env: Environment, name: str, data: dict[str, str]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": {"name": name, "namespace": env.eks.namespace, "labels": dict(MANAGED_BY)},
            "stringData": dict(data)}


def adopted_service_account(env: Environment, component: str) -> dict[str, Any]:
    """The component's service account, created before the chart with Helm's ownership metadata."""
    return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {
        "name": SERVICE_ACCOUNTS[component], "namespace": env.eks.namespace,
        "labels": {"app.kubernetes.io/managed-by": "Helm", "release": RELEASE},
        "annotations": {"meta.helm.sh/release-name": RELEASE,
                        "meta.helm.sh/release-namespace": env.eks.namespace}}}


def _secret_env(purpose: str) -> list[dict[str, Any]]:
    secrets = []
    for name, (_, _, secret) in CHART_SECRET_VALUES.items():
        key = KUBERNETES_SECRETS[secret][0]
        if name == "database_url":
            secret, key = DIRECT_DATABASE_SECRET, "connection"
        secrets.append({"name": SECRET_SETTINGS[name],
                        "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}})
    if purpose == "bootstrap":
        secrets += [{"name": f"AIRHOST_ADMIN_{key.upper()}",
                     "valueFrom": {"secretKeyRef": {"name": ADMIN_SECRET, "key": key}}}
                    for key in ("username", "password")]
    return secrets


def command_pod(env: Environment, values: dict[str, Any], command: list[str], *, name: str,
                purpose: str, timeout: int) -> dict[str, Any]:
    """A pod that runs ``command`` (Airflow CLI arguments, or ``bash -c ...``) once."""
    image = values["images"]["airflow"]
    scheduler = values["scheduler"]
    labels = {**MANAGED_BY, PURPOSE_LABEL: purpose, "component": ONE_OFF, "release": RELEASE}
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": env.eks.namespace, "labels": labels},
            "spec": {
                "restartPolicy": "Never",
                "activeDeadlineSeconds": timeout,
                "serviceAccountName": SERVICE_ACCOUNTS["scheduler"],
                "securityContext": copy.deepcopy(values["securityContexts"]["pod"]),
                "containers": [{
                    "name": "airflow",
                    "image": f"{image['repository']}:{image['tag']}",
                    "imagePullPolicy": image.get("pullPolicy", "IfNotPresent"),
                    # The image's entrypoint runs `airflow <args>`, or bash/python as given.
                    "args": list(command),
                    "env": copy.deepcopy(values["env"]) + copy.deepcopy(scheduler["env"])
                    + _secret_env(purpose),
                    "resources": copy.deepcopy(scheduler["resources"]),
                    "securityContext": copy.deepcopy(values["securityContexts"]["containers"]),
                }]}}


def command_job(env: Environment, values: dict[str, Any], command: list[str], *, name: str,
                purpose: str, timeout: int) -> dict[str, Any]:
    """``command_pod`` as a Job that runs once: never retried, removed a day after it ends."""
    pod = command_pod(env, values, command, name=name, purpose=purpose, timeout=timeout)
    return {"apiVersion": "batch/v1", "kind": "Job",
            "metadata": {"name": name, "namespace": env.eks.namespace,
                         "labels": dict(pod["metadata"]["labels"])},
            "spec": {"backoffLimit": 0, "activeDeadlineSeconds": timeout,
                     "ttlSecondsAfterFinished": 86400,
                     "template": {"metadata": {"labels": dict(pod["metadata"]["labels"])},
                                  "spec": pod["spec"]}}}
