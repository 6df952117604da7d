"""A deployed EKS environment: its cluster, the Helm release, one-off pods, counts, logs and facts.

The stacks (network, data, compute) go through the generic pipeline; the rest is Kubernetes,
reached through the cluster's API server with a token made from the caller's AWS identity
(``airhost.aws.eks``), found by ``DescribeCluster`` — no kubectl, no kubeconfig file:

* ``prepare``: the namespace, the Kubernetes secrets copied from Secrets Manager, and the
  scheduler's service account (which one-off pods run as) before the chart exists;
* ``run``: a pod of the scheduler's image and settings (the bootstrap as a Job), log streamed,
  exit code returned (``airhost.targets.eks.commands``);
* ``start``: ``helm upgrade --install`` of the pinned chart with ``render_values``; Helm rolls a
  failed upgrade back; then the office hours' CronJobs, applied and pruned
  (``airhost.targets.eks.schedule``); ``wait_stable`` then waits until every Deployment and
  StatefulSet of the release is rolled out;
* components are the release's Deployments and StatefulSets, by their ``component`` label;
  ``scale`` uses their ``scale`` subresource; parking records the counts in SSM and sets every
  one to 0 (Auto Mode then removes the nodes it no longer needs), ``resume`` brings them back;
* an upgrade (``airhost.deploy.upgrade``) is the generic one: the pre-upgrade snapshot; every
  component held at 0 (the Helm release keeps its revision); ``airflow db migrate`` as a Job of the
  NEW image (the values' ``images.airflow``: the new official tag, or the project image pushed for
  the new version with ``eks.image: ecr``); ``helm upgrade`` with the new values and the configured
  ``eks.chart_version`` (an upgrade may move the chart too); rollouts, health, the release. On a
  failure after the hold, ``start_previous`` is ``helm rollback`` to the revision noted by
  ``checkpoint`` — not ``helm upgrade`` with old values, so the previous chart version comes back
  with them — after the pre-upgrade snapshot is restored, then the counts that ran;
* a restore (``airhost.ops.backup``) copies the secrets again once the data stack points at the
  new instance (``database_switched``), before the migration pod and the scale-up read them;
* ``uninstall`` (before ``destroy`` deletes the stacks) removes the release, then the namespace.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from airhost.aws.eks import Cluster, Eks, caller_arn
from airhost.aws.errors import NotDeployed, WaitTimeout
from airhost.aws.session import AwsSession, Clock
from airhost.config.models import Environment
from airhost.errors import UsageError
from airhost.progress import Progress
from airhost.render.egress import PARKED as EGRESS_PARKED, RUNNING as EGRESS_RUNNING
from airhost.render.eks import LAYERS
from airhost.render.eks.names import RELEASE
from airhost.render.eks.pods import (
    ONE_OFF, adopted_service_account, namespace_manifest,
)
from airhost.render.eks.values import SECTIONS, EksFacts, render_values
from airhost.render.stacks import Layer, StackTemplate
from airhost.targets.base import CommandResult, ComponentState, Echo, Facts
from airhost.targets.cloud import PARKED, CloudEnvironment
from airhost.targets.cloud_logs import interleaved, parse_since
from airhost.targets.eks import failures
from airhost.targets.eks.commands import run_command
from airhost.targets.eks.schedule import apply_schedule, schedule_runs, suspend_schedule
from airhost.targets.eks.secrets import copy_secrets
from airhost.tools import helm
from airhost.tools.kubernetes import Kubernetes, KubernetesError, PodState, Token, WorkloadState

STABLE_TIMEOUT = 1800.0
HELM_TIMEOUT = 900  # seconds an uninstall waits for the release's objects to go
RELEASE_SELECTOR = {"release": RELEASE}


class EksDeployment(CloudEnvironment):
    """One EKS environment in its account and region."""

    layers: tuple[Layer, ...] = LAYERS
    compute: Layer = "compute"

    def __init__(self, env: Environment, *, session: AwsSession | None = None,
                 clock: Clock | None = None) -> None:
        super().__init__(env, session=session, clock=clock)
        self.eks = Eks(self.session)
        self.image: str | None = None  # the project's image, when the deploy is given one
        self.helm_release: helm.HelmRelease | None = None
        # what ran before an upgrade: the Helm revision and each component's count
        self.previous_revision: int | None = None
        self.previous_counts: dict[str, int] = {}

    # -- facts ---------------------------------------------------------------------------------

    @cached_property
    def outputs_by_layer(self) -> dict[str, dict[str, str]]:
        stacks = self.require_deployed()
        return {layer: dict(stack.outputs) if stack else {} for layer, stack in stacks.items()}

    def refresh(self) -> None:
        for name in ("outputs_by_layer", "cluster"):
            self.__dict__.pop(name, None)

    @property
    def namespace(self) -> str:
        return self.env.eks.namespace

    @cached_property
    def cluster(self) -> Cluster:
        return self.eks.describe_cluster(self.outputs_by_layer["compute"]["ClusterName"])

    def _token(self) -> Token:
        token = self.eks.token(self.cluster.name)
        return Token(token.token, token.expires_at)

    @cached_property
    def kubernetes(self) -> Kubernetes:
        cluster = self.cluster
        if not cluster.endpoint:
            raise NotDeployed(f"EKS cluster {cluster.name} has no API endpoint yet ({cluster.status})",
                              hint="wait until the cluster is ACTIVE, then run the command again")
        return Kubernetes(cluster.endpoint, cluster.ca_pem, self._token, name=cluster.name,
                          now=self.clock.utcnow)

    def access(self) -> helm.ClusterAccess:
        return helm.ClusterAccess(self.cluster.endpoint, self.cluster.ca_pem,
                                  self.kubernetes.token().value)

    def values(self) -> dict[str, Any]:
        """The chart's values for the deployed environment (its buckets, its image)."""
        data, network = self.outputs_by_layer["data"], self.outputs_by_layer.get("network", {})
        alb = self.env.access.mode == "alb"
        facts = EksFacts(
            logs_bucket=data["LogsBucket"], dags_bucket=data["DagsBucket"],
            image=self.image or (self.release_image() if self.env.eks.image == "ecr" else None),
            public_url=f"https://{self.env.access.domain}" if alb and self.env.access.domain else None,
            public_subnet_ids=network.get("PublicSubnetIds") if alb else None,
            load_balancer_security_group=network.get("LoadBalancerSecurityGroupId") if alb else None)
        return render_values(self.env, facts)

    def release_image(self) -> str | None:
        """The image the release record says runs (a re-deploy keeps the project's image)."""
        record = self.parameters.get_json(self.parameter_name("release"))
        return (record or {}).get("image") or None

    def facts(self) -> Facts:
        data = self.outputs_by_layer.get("data", {})
        image = self.values()["images"]["airflow"]
        return Facts(url=f"https://{self.env.access.domain}" if self.env.access.domain else None,
                     admin_secret=data.get("AdminPasswordSecretArn"),
                     buckets={k: data[k] for k in ("LogsBucket", "DagsBucket") if data.get(k)},
                     database=data.get("DatabaseInstanceId"),
                     image=f"{image['repository']}:{image['tag']}",
                     components=tuple(component for component in SECTIONS if component != "worker"
                                      or self.env.airflow.executor == "celery"))

    def project_image(self) -> bool:
        return self.env.eks.image == "ecr"

    def release_facts(self) -> dict[str, Any]:
        facts: dict[str, Any] = {"compute": self.env.eks.compute,
                                 "cluster": self.outputs_by_layer["compute"]["ClusterName"],
                                 "chart_version": self.env.eks.chart_version}
        if self.helm_release is not None:
            facts["helm_revision"] = self.helm_release.revision
        return facts

    def status_details(self) -> dict[str, Any]:
        """The cluster, its ready nodes and the Helm release, as far as they can be read."""
        kubernetes: dict[str, Any] = {"cluster": self.cluster.name,
                                      "cluster_status": self.cluster.status,
                                      "namespace": self.namespace}
        try:
            kubernetes["nodes_ready"] = self.kubernetes.ready_nodes()
            found = helm.release_status(self.access(), RELEASE, self.namespace)
            kubernetes["helm_release"] = found.to_json() if found else None
            if self.env.schedule is not None:
                kubernetes["schedule"] = schedule_runs(self.kubernetes, self.env)
            kubernetes["reachable"] = True
        except (KubernetesError, helm.HelmError) as error:
            kubernetes.update(reachable=False, reason=error.message)
        return {"kubernetes": kubernetes}

    def kubeconfig(self, credential_command: list[str]) -> dict[str, Any]:
        """The cluster's endpoint and CA, and a user that asks ``credential_command`` for a token.

        No token or key is written: kubectl runs the command (airhost) whenever it needs one, so
        the file holds nothing that expires or that a reader could use.
        """
        cluster, name = self.cluster, self.cluster.arn or self.cluster.name
        command, *args = credential_command
        return {
            "apiVersion": "v1", "kind": "Config", "preferences": {}, "current-context": name,
            "clusters": [{"name": name, "cluster": {
                "server": cluster.endpoint,
                "certificate-authority-data": cluster.certificate_authority}}],
            "contexts": [{"name": name, "context": {"cluster": name, "user": name,
                                                    "namespace": self.namespace}}],
            "users": [{"name": name, "user": {"exec": {
                "apiVersion": "client.authentication.k8s.io/v1beta1", "command": command,
                "args": args, "interactiveMode": "Never",
                "provideClusterInfo": False}}}]}

    def credential(self) -> dict[str, Any]:
        token = self._token()
        return {"apiVersion": "client.authentication.k8s.io/v1beta1", "kind": "ExecCredential",
                "spec": {}, "status": {"token": token.value, "expirationTimestamp":
                                       token.expires_at.strftime("%Y-%m-%dT%H:%M:%SZ")}}

    # -- stacks, then Kubernetes -----------------------------------------------------------------

    def stack_parameters(self, stack: StackTemplate, values: dict[str, str],
                         image: str | None) -> dict[str, str]:
        if image:
            self.image = image
        declared = stack.template.get("Parameters", {})
        if "DeployerPrincipalArn" in declared and not values.get("DeployerPrincipalArn"):
            return {**values, "DeployerPrincipalArn": caller_arn(self.session)}
        return values

    def prepare(self, progress: Progress) -> None:
        """The namespace, the secrets and the one-off pods' service account, before anything runs."""
        if self.env.eks.image == "ecr" and not (self.image or self.release_image()):
            raise UsageError(
                f"environment {self.env.name} runs the project's own image, and none was given",
                hint="run 'airhost image build ENV' and 'airhost image push ENV', then deploy "
                     "with --image")
        progress.step(f"preparing namespace {self.namespace} on cluster {self.cluster.name}")
        kube = self.kubernetes
        kube.apply(namespace_manifest(self.env))
        copy_secrets(self, progress)
        kube.apply(adopted_service_account(self.env, "scheduler"))

    def database_switched(self, progress: Progress) -> None:
        """The pods read Kubernetes secrets copied from Secrets Manager at deploy: copy them again
        so the migration pod and the pods the scale-up after the hold creates read the new URL.
        Running pods keep the old values until they are replaced; a restore holds every one at 0
        first, so none is left running."""
        progress.step("copying the database secrets of the new instance into the cluster")
        copy_secrets(self, progress)

    def run(self, command: list[str], progress: Progress, *, timeout: float,
            purpose: str = "run") -> CommandResult:
        return run_command(self, command, progress, timeout=timeout, purpose=purpose)

    def start(self, progress: Progress, stacks: list[StackTemplate]) -> None:
        """``helm upgrade --install`` of the pinned chart (Helm rolls back a failed upgrade), then
        the office hours' CronJobs for the workloads it runs."""
        progress.step(f"installing the Airflow chart {self.env.eks.chart_version} as release "
                      f"{RELEASE} (helm upgrade --install)")
        values = self.values()
        self.helm_release = helm.install_or_upgrade(
            self.access(), values, release=RELEASE, namespace=self.namespace,
            version=self.env.eks.chart_version, timeout=self.env.eks.rollout_timeout,
            watch=self._crash_loop_reason, watch_seconds=max(self.clock.poll_seconds, 0.5))
        progress.detail(f"release {RELEASE} revision {self.helm_release.revision}: "
                        f"{self.helm_release.status}")
        apply_schedule(self.kubernetes, self.env, values, progress)

    def suspend_scaling(self, progress: Progress) -> None:
        """The office hours' CronJobs suspended (those deployed, whatever the config says now):
        a wake Job would scale the workloads back."""
        suspend_schedule(self.kubernetes, self.env, True, progress)

    def resume_scaling(self, progress: Progress) -> None:
        suspend_schedule(self.kubernetes, self.env, False, progress)

    def suspended_scaling(self) -> list[str]:
        return [job["name"] for job in schedule_runs(self.kubernetes, self.env) if job["suspended"]]

    def _crash_loop_reason(self) -> str | None:
        """While Helm waits: why waiting is pointless (a component exits at every start)."""
        crashing = failures.crash_looping(self)
        return failures.describe(self, *crashing) if crashing else None

    def checkpoint(self) -> None:
        """The release's revision and counts before an upgrade holds them at 0."""
        found = helm.release_status(self.access(), RELEASE, self.namespace)
        self.previous_revision = found.revision if found else None
        self.previous_counts = {c: w.desired for c, w in self.workloads().items()}

    def start_previous(self, progress: Progress, stacks: list[StackTemplate]) -> None:
        """``helm rollback`` to the revision that ran before the upgrade (its chart, values and
        image), then the counts it ran at (a rollback brings back the chart's own)."""
        if self.previous_revision is None:
            self.start(progress, stacks)
            return
        progress.step(f"rolling Helm release {RELEASE} back to revision {self.previous_revision}")
        self.helm_release = helm.rollback(self.access(), RELEASE, self.namespace,
                                          revision=self.previous_revision,
                                          timeout=self.env.eks.rollout_timeout)
        progress.detail(f"release {RELEASE} revision {self.helm_release.revision}: "
                        f"{self.helm_release.status}")
        counts = {c: n for c, n in self.previous_counts.items() if c in self.workloads()}
        if counts:
            self.scale(counts, progress, wait=False)

    def uninstall(self, progress: Progress) -> None:
        """The release and the namespace go before the stacks (their load balancers with them)."""
        try:
            cluster = self.cluster
        except NotDeployed:
            return
        if not cluster.endpoint:
            return
        progress.step(f"uninstalling Helm release {RELEASE} from {cluster.name}")
        if not helm.uninstall(self.access(), RELEASE, self.namespace, timeout=HELM_TIMEOUT):
            progress.detail(f"release {RELEASE} was not installed")
        if self.kubernetes.delete("Namespace", self.namespace):
            progress.detail(f"namespace {self.namespace} deleted")

    # -- components ----------------------------------------------------------------------------

    def workloads(self) -> dict[str, WorkloadState]:
        """Component → its Deployment or StatefulSet in the release."""
        found = self.kubernetes.workloads(self.namespace, RELEASE_SELECTOR)
        return {w.labels.get("component", w.name): w for w in found}

    def release_pods(self) -> list[PodState]:
        """The release's pods (its components'; one-off pods are not in the release)."""
        return self.kubernetes.pods(self.namespace, RELEASE_SELECTOR)

    def components(self) -> list[ComponentState]:
        pods: dict[str, list[PodState]] = {}
        for pod in self.release_pods():
            pods.setdefault(pod.labels.get("component", ""), []).append(pod)
        return [_component(component, workload, pods.get(component, []))
                for component, workload in sorted(self.workloads().items())]

    def read_logs(self, component: str | None, *, since: str, follow: bool, pattern: str | None,
                  lines: int, echo: Echo) -> int:
        known = sorted(set(self.workloads()) | {ONE_OFF})
        if component is not None and component not in known:
            raise UsageError(f"no component '{component}' in environment {self.env.name}",
                             hint="its components: " + ", ".join(known))
        selector = {**RELEASE_SELECTOR, **({"component": component} if component else {})}
        pods = self.kubernetes.pods(self.namespace, selector)
        started = parse_since(since, self.clock.utcnow())
        since_seconds = max(1, int(self.clock.utcnow().timestamp() - started / 1000))
        streams = {pod.name: self.kubernetes.log(pod.name, self.namespace,
                                                 since_seconds=since_seconds,
                                                 tail=lines or None, follow=follow)
                   for pod in pods}
        printed = 0
        try:
            # followed, every pod's stream at once (two schedulers log side by side); read, one
            # pod after the other
            for pod, line in (interleaved(streams) if follow else
                              ((pod, line) for pod, stream in streams.items() for line in stream)):
                if pattern and pattern not in line:
                    continue
                echo(f"{pod} | {line}")
                printed += 1
        except KeyboardInterrupt:
            pass
        return printed

    # -- counts --------------------------------------------------------------------------------

    def configured_counts(self) -> dict[str, int]:
        return {component: self.env.eks.replicas_of(component) for component in self.workloads()
                if component in ("api-server", "scheduler", "dag-processor", "triggerer", "worker")}

    def wait_stable(self, progress: Progress, names: list[str] | None = None) -> list[ComponentState]:
        progress.step("waiting for every rollout of the release to complete")
        deadline = self.clock.monotonic() + STABLE_TIMEOUT
        while True:
            workloads = self.workloads()
            waiting = [c for c, w in workloads.items()
                       if (names is None or c in names) and not w.rolled_out]
            if not waiting:
                return self.components()
            crashing = failures.crash_looping(self)
            if crashing is not None and (names is None or crashing[0] in names):
                raise failures.crash_loop_error(self, *crashing)
            if self.clock.monotonic() > deadline:
                raise WaitTimeout(f"{', '.join(sorted(waiting))} did not roll out in "
                                  f"{STABLE_TIMEOUT:.0f}s",
                                  hint=f"'airhost logs {self.env.name} COMPONENT' and 'airhost "
                                       f"status {self.env.name}' show why")
            self.clock.sleep(self.clock.poll_seconds)

    def scale(self, counts: dict[str, int], progress: Progress, *,
              wait: bool = True) -> list[ComponentState]:
        workloads = self.workloads()
        unknown = sorted(set(counts) - set(workloads))
        if unknown:
            raise UsageError(f"no component {', '.join(unknown)} in environment {self.env.name}",
                             hint="its components: " + ", ".join(sorted(workloads)))
        for component, count in sorted(counts.items()):
            if count < 0:
                raise UsageError(f"{component}={count}: a count cannot be negative")
        for component, count in sorted(counts.items()):
            workload = workloads[component]
            progress.step(f"scaling {component} ({workload.kind} {workload.name}) to {count}")
            self.kubernetes.scale(workload.kind, workload.name, self.namespace, count)
        if wait and counts:
            return self.wait_stable(progress, list(counts))
        return self.components()

    def park(self, progress: Progress, *, wait: bool = True) -> list[ComponentState]:
        current = {component: w.desired for component, w in self.workloads().items()}
        if any(current.values()):
            self.parameters.put_json(self.parameter_name(PARKED), {
                "counts": current, "parked_at": self.clock.utcnow().isoformat()},
                description="replicas before 'airhost scale --to-zero'")
        else:
            progress.detail("every component is already at zero")
        states = self.scale({component: 0 for component in current}, progress, wait=wait)
        # once the pods are gone: nothing needs a way out any more
        self.set_egress(EGRESS_PARKED, progress)
        return states

    def resume(self, progress: Progress, *, wait: bool = True) -> list[ComponentState]:
        record = self.parameters.get_json(self.parameter_name(PARKED))
        workloads = self.workloads()
        counts = {k: int(v) for k, v in (record or {}).get("counts", {}).items() if k in workloads}
        if not counts:
            counts = {c: self.configured_counts().get(c, 1) for c in workloads}
        progress.detail("resuming the counts recorded when parking" if record else
                        "no parking record: resuming the configured counts")
        # before any pod starts: images, secrets and logs need the way out
        self.set_egress(EGRESS_RUNNING, progress)
        states = self.scale(counts, progress, wait=wait)
        self.parameters.delete(self.parameter_name(PARKED))
        return states


def _component(component: str, workload: WorkloadState, pods: list[PodState]) -> ComponentState:
    word = ("CRASH_LOOP" if any(pod.crash_looping for pod in pods) else
            "RUNNING" if workload.desired and workload.rolled_out else
            "STOPPED" if not workload.desired and not workload.ready else "PENDING")
    return ComponentState(component, word, desired=workload.desired, running=workload.ready,
                          restarts=sum(pod.restarts for pod in pods),
                          pending=max(0, workload.desired - workload.ready),
                          where=f"{workload.kind.lower()}/{workload.name}")
