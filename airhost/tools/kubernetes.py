"""The Kubernetes API, in process: the seam between airhost and a cluster (no kubectl, no kubeconfig).

airhost talks to an EKS cluster's API server with lightkube (typed resources over one HTTP
client) and a bearer token it is handed by a ``tokens`` callable (for EKS, ``airhost.aws.eks``
makes it from the caller's AWS identity). The token is renewed before it expires, so a long
migration or rollout never fails on an expired login. Everything here speaks the domain's
words and returns plain frozen dataclasses; lightkube's and HTTP's errors become
``KubernetesError`` and its kinds.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterator

from airhost.errors import AirhostError

RENEW_BEFORE = timedelta(minutes=1)
FIELD_MANAGER = "airhost"


class KubernetesError(AirhostError):
    """The Kubernetes API refused a request or answered with an error."""

    exit_code = 3

    def __init__(self, message: str, *, code: int | None = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.code = code


class KubernetesUnreachable(KubernetesError):
    """The API server does not answer from here (a private endpoint, the network)."""


class KubernetesDenied(KubernetesError):
    """The API server does not know the caller (401) or does not let it do this (403)."""

    exit_code = 4


class NotFound(KubernetesError):
    """The object does not exist (404)."""


# A container restarted this often and still not ready: one restart did not help.
CRASH_LOOP_RESTARTS = 2


@dataclass(frozen=True)
class Token:
    value: str
    expires_at: datetime


@dataclass(frozen=True)
class PodState:
    name: str
    phase: str  # Pending, Running, Succeeded, Failed, Unknown
    labels: dict[str, str]
    ready: bool
    restarts: int
    exit_code: int | None  # the first container's, once it terminated
    reason: str | None  # why it waits or why it ended
    last_exit_code: int | None = None  # how the first container's previous run ended (restarted)

    @property
    def crash_looping(self) -> bool:
        """Restarted more than once and not ready: the container exits at every start."""
        return not self.ready and self.restarts >= CRASH_LOOP_RESTARTS


@dataclass(frozen=True)
class JobState:
    name: str
    succeeded: bool
    failed: bool

    @property
    def done(self) -> bool:
        return self.succeeded or self.failed


@dataclass(frozen=True)
class WorkloadState:
    """A Deployment or StatefulSet and how far its rollout is."""

    kind: str  # Deployment | StatefulSet
    name: str
    labels: dict[str, str]
    desired: int
    ready: int
    updated: int
    current: bool  # the controller has seen the latest spec (observedGeneration)

    @property
    def rolled_out(self) -> bool:
        return self.current and self.ready >= self.desired and self.updated >= self.desired


@dataclass(frozen=True)
class CronJobState:
    """A CronJob: when it runs, in which zone, and when it last started a Job."""

    name: str
    schedule: str
    time_zone: str | None
    last_schedule: str | None  # ISO 8601, UTC; None before its first run
    suspended: bool = False  # the controller starts no Job while it is

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "schedule": self.schedule, "time_zone": self.time_zone,
                "last_schedule": self.last_schedule, "suspended": self.suspended}


def _resources() -> dict[str, Any]:
    from lightkube.resources.apps_v1 import Deployment, StatefulSet
    from lightkube.resources.batch_v1 import CronJob, Job
    from lightkube.resources.core_v1 import Namespace, Node, Pod, Secret, ServiceAccount
    from lightkube.resources.rbac_authorization_v1 import Role, RoleBinding

    return {"Deployment": Deployment, "StatefulSet": StatefulSet, "Job": Job, "CronJob": CronJob,
            "Namespace": Namespace, "Node": Node, "Pod": Pod, "Secret": Secret,
            "ServiceAccount": ServiceAccount, "Role": Role, "RoleBinding": RoleBinding}


class Kubernetes:
    """One cluster's API server, as one identity."""

    def __init__(self, endpoint: str, ca_pem: bytes, tokens: Callable[[], Token], *,
                 name: str = "cluster", now: Callable[[], datetime] | None = None) -> None:
        self.endpoint, self.ca_pem, self.name = endpoint, ca_pem, name
        self._tokens = tokens
        self._now = now or (lambda: datetime.now(timezone.utc))
        self._client: Any = None
        self._token: Token | None = None
        self.kinds = _resources()

    # -- the connection ------------------------------------------------------------------------

    def token(self) -> Token:
        """The current token, renewed when it is about to expire."""
        if self._token is None or self._token.expires_at - RENEW_BEFORE <= self._now():
            self._token = self._tokens()
            if self._client is not None:
                self._client.close()
            self._client = None
        return self._token

    def client(self) -> Any:
        token = self.token()
        if self._client is None:
            from lightkube import Client, KubeConfig

            config = KubeConfig.from_dict({
                "current-context": self.name,
                "clusters": [{"name": self.name, "cluster": {
                    "server": self.endpoint,
                    "certificate-authority-data": base64.b64encode(self.ca_pem).decode()}}],
                "users": [{"name": self.name, "user": {"token": token.value}}],
                "contexts": [{"name": self.name, "context": {"cluster": self.name,
                                                             "user": self.name}}]})
            self._client = Client(config, field_manager=FIELD_MANAGER, trust_env=False)
        return self._client

    def _call(self, what: str, send: Callable[[Any], Any]) -> Any:
        from lightkube import ApiError
        from lightkube.core.exceptions import ConfigError
        import httpx2

        try:
            return send(self.client())
        except ApiError as error:
            code = error.status.code
            message = f"Kubernetes refused to {what}: {error.status.message} ({code})"
            if code in (401, 403):
                raise KubernetesDenied(message, code=code, hint=(
                    "the AWS identity airhost runs as needs an access entry on the cluster "
                    "(eks.admins), and the clock must be right") if code == 401 else (
                    "grant that identity a broader access policy on the cluster")) from None
            if code == 404:
                raise NotFound(message, code=code) from None
            raise KubernetesError(message, code=code) from None
        except (httpx2.TransportError, ConfigError) as error:
            raise KubernetesUnreachable(
                f"cannot reach the Kubernetes API of {self.name} at {self.endpoint}: {error}",
                hint="the cluster's endpoint is private by default: run airhost from inside the "
                     "VPC (a bastion, a VPN, CI in the VPC) or allow this address in "
                     "eks.public_endpoint_cidrs") from None

    def _object(self, manifest: dict[str, Any]) -> Any:
        from lightkube import codecs

        return codecs.from_dict(manifest)

    # -- objects -------------------------------------------------------------------------------

    def apply(self, manifest: dict[str, Any]) -> None:
        """Create or update the object (server-side apply, airhost's fields forced)."""
        obj = self._object(manifest)
        namespace = manifest.get("metadata", {}).get("namespace")
        self._call(f"apply {manifest['kind']} {manifest['metadata']['name']}",
                   lambda c: c.apply(obj, namespace=namespace, force=True))

    def create(self, manifest: dict[str, Any]) -> None:
        obj = self._object(manifest)
        self._call(f"create {manifest['kind']} {manifest['metadata']['name']}",
                   lambda c: c.create(obj, namespace=manifest["metadata"].get("namespace")))

    def exists(self, kind: str, name: str, namespace: str | None = None) -> bool:
        try:
            self._call(f"read {kind} {name}",
                       lambda c: c.get(self.kinds[kind], name, **_ns(namespace)))
        except NotFound:
            return False
        return True

    def delete(self, kind: str, name: str, namespace: str | None = None) -> bool:
        """Delete the object and what it owns; False when it was already gone."""
        from lightkube.types import CascadeType

        try:
            self._call(f"delete {kind} {name}", lambda c: c.delete(
                self.kinds[kind], name, cascade=CascadeType.BACKGROUND, **_ns(namespace)))
        except NotFound:
            return False
        return True

    def names(self, kind: str, namespace: str, selector: dict[str, str]) -> list[str]:
        """The names of the ``kind`` objects in ``namespace`` that carry the ``selector`` labels."""
        found = self._call(f"list {kind}s in {namespace}", lambda c: list(c.list(
            self.kinds[kind], namespace=namespace, labels=selector)))
        return sorted(obj.metadata.name for obj in found)

    def cron_jobs(self, namespace: str, selector: dict[str, str]) -> list[CronJobState]:
        found = self._call(f"list CronJobs in {namespace}", lambda c: list(c.list(
            self.kinds["CronJob"], namespace=namespace, labels=selector)))
        return sorted((CronJobState(
            name=job.metadata.name, schedule=job.spec.schedule, time_zone=job.spec.timeZone,
            last_schedule=job.status.lastScheduleTime.isoformat()
            if job.status and job.status.lastScheduleTime else None,
            suspended=bool(job.spec.suspend)) for job in found),
            key=lambda job: job.name)

    def suspend_cron_job(self, name: str, namespace: str, suspended: bool) -> None:
        """Suspend the CronJob (it starts no Job) or let it run again: a time it missed meanwhile
        then runs at once if still within its starting deadline."""
        self._call(f"{'suspend' if suspended else 'resume'} CronJob {name}", lambda c: c.patch(
            self.kinds["CronJob"], name, {"spec": {"suspend": suspended}}, namespace=namespace))

    def secret_keys(self, name: str, namespace: str) -> dict[str, str]:
        """A secret's keys and decoded values (empty when it does not exist)."""
        try:
            secret = self._call(f"read secret {name}",
                                lambda c: c.get(self.kinds["Secret"], name, namespace=namespace))
        except NotFound:
            return {}
        return {key: base64.b64decode(value).decode() for key, value in (secret.data or {}).items()}

    # -- pods and jobs -------------------------------------------------------------------------

    def pods(self, namespace: str, selector: dict[str, str]) -> list[PodState]:
        found = self._call(f"list pods in {namespace}", lambda c: list(c.list(
            self.kinds["Pod"], namespace=namespace, labels=selector)))
        return sorted((_pod_state(pod) for pod in found), key=lambda pod: pod.name)

    def pod(self, name: str, namespace: str) -> PodState:
        return _pod_state(self._call(f"read pod {name}", lambda c: c.get(
            self.kinds["Pod"], name, namespace=namespace)))

    def job(self, name: str, namespace: str) -> JobState:
        job = self._call(f"read job {name}", lambda c: c.get(self.kinds["Job"], name,
                                                             namespace=namespace))
        status = job.status
        conditions = {c.type: c.status for c in (status.conditions or [])} if status else {}
        return JobState(name, succeeded=conditions.get("Complete") == "True" or
                        bool(status and status.succeeded),
                        failed=conditions.get("Failed") == "True")

    def log(self, pod: str, namespace: str, *, since_seconds: int | None = None,
            tail: int | None = None, follow: bool = False) -> Iterator[str]:
        """The pod's log lines (its first container), without their newlines."""
        lines = self._call(f"read the log of pod {pod}", lambda c: c.log(
            pod, namespace=namespace, since=since_seconds, tail_lines=tail, follow=follow,
            newlines=False))
        try:
            yield from lines
        except Exception as error:  # noqa: BLE001 - a stream cut short mid-way
            raise KubernetesUnreachable(f"the log of pod {pod} stopped: {error}") from None

    # -- workloads -----------------------------------------------------------------------------

    def workloads(self, namespace: str, selector: dict[str, str]) -> list[WorkloadState]:
        found: list[WorkloadState] = []
        for kind in ("Deployment", "StatefulSet"):
            for obj in self._call(f"list {kind}s in {namespace}", lambda c, k=kind: list(c.list(
                    self.kinds[k], namespace=namespace, labels=selector))):
                status = obj.status
                found.append(WorkloadState(
                    kind=kind, name=obj.metadata.name, labels=dict(obj.metadata.labels or {}),
                    desired=obj.spec.replicas if obj.spec.replicas is not None else 1,
                    ready=(status.readyReplicas or 0) if status else 0,
                    updated=(status.updatedReplicas or 0) if status else 0,
                    current=bool(status and (status.observedGeneration or 0) >=
                                 (obj.metadata.generation or 0))))
        return sorted(found, key=lambda w: w.name)

    def scale(self, kind: str, name: str, namespace: str, replicas: int) -> None:
        """Set the workload's replicas through its ``scale`` subresource."""
        resource = self.kinds[kind].Scale
        self._call(f"scale {kind} {name}", lambda c: c.patch(
            resource, name, {"spec": {"replicas": replicas}}, namespace=namespace))

    def ready_nodes(self) -> int | None:
        """How many nodes are Ready (None when the caller may not list nodes)."""
        try:
            nodes = self._call("list nodes", lambda c: list(c.list(self.kinds["Node"])))
        except KubernetesDenied:
            return None
        return sum(1 for node in nodes if any(
            c.type == "Ready" and c.status == "True"
            for c in (node.status.conditions if node.status else None) or []))

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


def _ns(namespace: str | None) -> dict[str, str]:
    return {"namespace": namespace} if namespace else {}


def _pod_state(pod: Any) -> PodState:
    status = pod.status
    containers = (status.containerStatuses or []) if status else []
    first = containers[0] if containers else None
    exit_code, reason, last_exit_code = None, None, None
    if first is not None and first.lastState is not None and first.lastState.terminated is not None:
        last_exit_code = first.lastState.terminated.exitCode
    if first is not None and first.state is not None:
        if first.state.terminated is not None:
            exit_code = first.state.terminated.exitCode
            reason = first.state.terminated.reason
        elif first.state.waiting is not None:
            reason = first.state.waiting.reason
    return PodState(name=pod.metadata.name, phase=(status.phase if status else None) or "Pending",
                    labels=dict(pod.metadata.labels or {}),
                    ready=bool(containers) and all(c.ready for c in containers),
                    restarts=sum(c.restartCount or 0 for c in containers),
                    exit_code=exit_code, reason=reason or (status.reason if status else None),
                    last_exit_code=last_exit_code)
