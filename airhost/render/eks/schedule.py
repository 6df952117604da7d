"""Office hours on EKS: the cluster's own CronJobs scale the release's workloads to 0 and back.

With ``schedule`` set, the release's namespace gets a ``batch/v1`` CronJob for every time of day
the schedule wakes or sleeps (``spec.schedule``: five-field cron, ``spec.timeZone``: the
schedule's IANA zone, so local hours hold across daylight saving). Each run is a Job of the
release's own Airflow image whose short standard-library Python script (``SCALE_SCRIPT``) patches
the ``scale`` subresource of every Deployment and StatefulSet the chart creates
(``names.release_workloads``): 0 at a sleep edge, the configured replicas at a wake edge. It
authenticates as its own service account, whose Role may only ``get`` and ``patch`` the scale of
exactly those workloads.

Why CronJobs and not EventBridge Scheduler, as ECS and EC2 use AWS's schedulers: no AWS API scales
a Kubernetes Deployment, and the cluster's API endpoint is private by default, so EventBridge
would need a Lambda function of airhost's in the VPC, holding cluster credentials. Kubernetes's
CronJob controller runs in the control plane AWS already operates: nothing of airhost's runs in
the account.

What sleeping saves: EKS Auto Mode removes nodes once their pods are gone; a managed node group
keeps its minimum running (as with ``airhost scale --to-zero``); the control plane and the
database bill all the time. The network stack's NAT instance wakes ``NAT_LEAD_MINUTES`` before
these CronJobs (``airhost.render.egress``): a wake Job's pod may land on a fresh node that pulls
the image through it.

A missed edge (the controller down, no node for the Job in time) still runs later: each CronJob's
``startingDeadlineSeconds`` is the time until the schedule's next edge, so a late run never
undoes the edge after it. Manual parking composes as on ECS: ``scale --to-zero`` lasts until the
next wake edge, ``--resume`` until the next sleep edge, and a deploy while asleep starts the
configured counts.
"""

from __future__ import annotations

from typing import Any

from airhost.config.models import Environment
from airhost.config.schedule import ScheduleSettings, recurrence_edges, week_edges
from airhost.render.eks.names import Workload, release_workloads
from airhost.render.eks.pods import MANAGED_BY, PURPOSE_LABEL

PURPOSE = "schedule"
SCHEDULE_NAME = "airhost-schedule"  # the service account, Role and RoleBinding
LABELS = {**MANAGED_BY, PURPOSE_LABEL: PURPOSE}
# The kinds airhost applies for a schedule, and prunes when they are no longer rendered.
SCHEDULE_KINDS = ("CronJob", "RoleBinding", "Role", "ServiceAccount")
WEEK_SECONDS = 7 * 24 * 3600
JOB_TIMEOUT = 900  # a fresh Auto Mode node and the image pull fit well inside it
RESOURCES = {"requests": {"cpu": "50m", "memory": "64Mi"},
             "limits": {"cpu": "200m", "memory": "128Mi"}}

# Run by the image's python3 with only the standard library. Arguments: RESOURCE/NAME=REPLICAS.
# The in-cluster service account's files and environment are Kubernetes's own: the API server's
# Service address, the account's token, the cluster's CA and the pod's namespace.
SCALE_SCRIPT = '''\
import json, os, ssl, sys, urllib.error, urllib.request
ACCOUNT = "/var/run/secrets/kubernetes.io/serviceaccount"
def read(name):
    with open(os.path.join(ACCOUNT, name)) as file:
        return file.read().strip()
host, port = os.environ["KUBERNETES_SERVICE_HOST"], os.environ["KUBERNETES_SERVICE_PORT"]
host = "[" + host + "]" if ":" in host else host
token, namespace = read("token"), read("namespace")
context = ssl.create_default_context(cafile=os.path.join(ACCOUNT, "ca.crt"))
failed = 0
for target in sys.argv[1:]:
    path, replicas = target.rsplit("=", 1)
    url = f"https://{host}:{port}/apis/apps/v1/namespaces/{namespace}/{path}/scale"
    body = json.dumps({"spec": {"replicas": int(replicas)}}).encode()
    request = urllib.request.Request(url, data=body, method="PATCH", headers={
        "Authorization": "Bearer " + token, "Accept": "application/json",
        "Content-Type": "application/merge-patch+json"})
    try:
        with urllib.request.urlopen(request, context=context, timeout=30) as response:
            scale = json.load(response)
        print(f"{path} in {namespace}: replicas {scale.get('spec', {}).get('replicas', 0)}", flush=True)
    except urllib.error.HTTPError as error:
        if error.code == 404:
            print(f"{path} in {namespace}: not found (the release is not installed?), skipped", flush=True)
            continue
        detail = error.read().decode(errors="replace")[:500]
        print(f"{path} in {namespace}: the API answered {error.code}: {detail}", file=sys.stderr, flush=True)
        failed += 1
    except (urllib.error.URLError, OSError) as error:
        print(f"{path} in {namespace}: cannot reach the API server: {error}", file=sys.stderr, flush=True)
        failed += 1
sys.exit(1 if failed else 0)
'''


def _metadata(env: Environment, name: str) -> dict[str, Any]:
    return {"name": name, "namespace": env.eks.namespace, "labels": dict(LABELS)}


def scale_arguments(workloads: list[Workload], wakes: bool) -> list[str]:
    """``RESOURCE/NAME=REPLICAS`` for the script: in start order at a wake, reversed at a sleep
    (the scheduler stops first)."""
    ordered = workloads if wakes else list(reversed(workloads))
    return [f"{w.resource}/{w.name}={w.replicas if wakes else 0}" for w in ordered]


def starting_deadlines(schedule: ScheduleSettings) -> list[int]:
    """For each of ``week_edges``: the seconds from its earliest occurrence to the edge after it
    (the shortest on any of its days), how late a missed run may still start without undoing the
    next edge."""
    edges = week_edges(schedule)
    instants = sorted((day * 1440 + minutes, index) for index, (minutes, _, days) in
                      enumerate(edges) for day in days)
    deadlines = [WEEK_SECONDS] * len(edges)
    for position, (minute, index) in enumerate(instants):
        following = instants[(position + 1) % len(instants)][0]
        gap = (following - minute) % (7 * 1440) or 7 * 1440
        deadlines[index] = min(deadlines[index], gap * 60)
    return deadlines


def _cron_job(env: Environment, values: dict[str, Any], name: str, cron: str, zone: str,
              deadline: int, arguments: list[str]) -> dict[str, Any]:
    image = values["images"]["airflow"]
    pod_labels = {**LABELS, "airhost.dev/schedule": name}
    container = {
        "name": "scale",
        "image": f"{image['repository']}:{image['tag']}",
        "imagePullPolicy": image.get("pullPolicy", "IfNotPresent"),
        # python3 itself, not the image's entrypoint: it would wait for the database first
        "command": ["python3", "-c", SCALE_SCRIPT],
        "args": arguments,
        "resources": RESOURCES,
        "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                            "runAsNonRoot": True, "capabilities": {"drop": ["ALL"]}},
    }
    return {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": _metadata(env, name), "spec": {
        "schedule": cron, "timeZone": zone,
        # said, so that every deploy's apply takes back a suspension a hold left behind
        "suspend": False,
        "concurrencyPolicy": "Forbid", "startingDeadlineSeconds": deadline,
        "successfulJobsHistoryLimit": 1, "failedJobsHistoryLimit": 2,
        "jobTemplate": {"metadata": {"labels": pod_labels}, "spec": {
            "backoffLimit": 3, "activeDeadlineSeconds": JOB_TIMEOUT,
            "template": {"metadata": {"labels": pod_labels}, "spec": {
                "serviceAccountName": SCHEDULE_NAME,
                "automountServiceAccountToken": True,  # its token is how it scales
                "restartPolicy": "Never",
                # the official image's user (uid 50000, gid 0), as the chart's pods run
                "securityContext": {"runAsUser": 50000, "runAsGroup": 0, "runAsNonRoot": True,
                                    "seccompProfile": {"type": "RuntimeDefault"}},
                "containers": [container]}}}}}}


def _role(env: Environment, workloads: list[Workload]) -> dict[str, Any]:
    rules = []
    for resource in ("deployments", "statefulsets"):
        names = sorted(w.name for w in workloads if w.resource == resource)
        if names:  # a rule without resourceNames would cover every workload of the kind
            rules.append({"apiGroups": ["apps"], "resources": [f"{resource}/scale"],
                          "resourceNames": names, "verbs": ["get", "patch"]})
    return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
            "metadata": _metadata(env, SCHEDULE_NAME), "rules": rules}


def render_schedule(env: Environment, values: dict[str, Any]) -> list[dict[str, Any]]:
    """The schedule's objects for the release's namespace; nothing without a schedule. Pure."""
    schedule = env.schedule
    if schedule is None:
        return []
    workloads = release_workloads(env)
    objects: list[dict[str, Any]] = [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": _metadata(env, SCHEDULE_NAME),
         "automountServiceAccountToken": True},
        _role(env, workloads),
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
         "metadata": _metadata(env, SCHEDULE_NAME),
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": SCHEDULE_NAME},
         "subjects": [{"kind": "ServiceAccount", "name": SCHEDULE_NAME,
                       "namespace": env.eks.namespace}]},
    ]
    counts = {True: 0, False: 0}
    deadlines = starting_deadlines(schedule)
    for (cron, wakes), deadline in zip(recurrence_edges(schedule), deadlines):
        counts[wakes] += 1
        name = f"airhost-{'wake' if wakes else 'sleep'}-{counts[wakes]}"
        objects.append(_cron_job(env, values, name, cron, schedule.timezone, deadline,
                                 scale_arguments(workloads, wakes)))
    return objects
