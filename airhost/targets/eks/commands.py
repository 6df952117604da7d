"""One-off Airflow commands on EKS: a pod of the scheduler's image, settings and service account.

The bootstrap (``airflow db migrate``, the admin user) runs as a Job that is never retried (a
failed migration must be read, not repeated); ``airhost run`` as a bare pod, removed once its
exit code is read. Either way the pod's log is read while it runs (each poll prints the lines
not yet shown) and its container's exit code is the command's. A timeout or Ctrl-C deletes it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from airhost.aws.errors import TaskFailed, TaskTimeout
from airhost.errors import Aborted
from airhost.progress import Progress
from airhost.render.eks.pods import command_job, command_pod
from airhost.targets.base import CommandResult
from airhost.tools.kubernetes import NotFound, PodState

if TYPE_CHECKING:
    from airhost.targets.eks.deployment import EksDeployment

DONE = ("Succeeded", "Failed")


def command_name(deployment: EksDeployment, purpose: str) -> str:
    stamp = deployment.clock.utcnow().strftime("%Y%m%d-%H%M%S-%f")
    return f"airhost-{purpose}-{stamp}"


def run_command(deployment: EksDeployment, command: list[str], progress: Progress, *,
                timeout: float, purpose: str) -> CommandResult:
    env, kube = deployment.env, deployment.kubernetes
    namespace = env.eks.namespace
    name = command_name(deployment, purpose)
    as_job = purpose == "bootstrap"
    build = command_job if as_job else command_pod
    manifest = build(env, deployment.values(), command, name=name, purpose=purpose,
                     timeout=int(timeout))
    kube.create(manifest)
    progress.detail(f"{'job' if as_job else 'pod'} {name} started in namespace {namespace}")
    try:
        state = _follow(deployment, name, as_job, progress, timeout=timeout)
    except KeyboardInterrupt:
        kube.delete("Job" if as_job else "Pod", name, namespace)
        raise Aborted(f"interrupted: {name} was deleted") from None
    if not as_job:
        kube.delete("Pod", name, namespace)
    if state.exit_code is None:
        raise TaskFailed(f"{name} ended {state.phase} before its command ran: "
                         f"{state.reason or 'no reason given'}",
                         hint="check the image, the secrets in the namespace and the nodes")
    return CommandResult(state.name, state.exit_code, f"pod/{namespace}/{state.name}", state.reason)


def _pod_of(deployment: EksDeployment, name: str, as_job: bool) -> PodState | None:
    namespace = deployment.env.eks.namespace
    if as_job:
        pods = deployment.kubernetes.pods(namespace, {"job-name": name})
        return pods[-1] if pods else None
    try:
        return deployment.kubernetes.pod(name, namespace)
    except NotFound:
        return None


def _follow(deployment: EksDeployment, name: str, as_job: bool, progress: Progress, *,
            timeout: float) -> PodState:
    kube, clock = deployment.kubernetes, deployment.clock
    namespace = deployment.env.eks.namespace
    deadline = clock.monotonic() + timeout
    shown = 0
    while True:
        pod = _pod_of(deployment, name, as_job)
        if pod is not None and pod.phase != "Pending":
            lines = list(kube.log(pod.name, namespace))
            for line in lines[shown:]:
                progress.log_line(line)
            shown = max(shown, len(lines))
            if pod.phase in DONE:
                return pod
        if clock.monotonic() > deadline:
            kube.delete("Job" if as_job else "Pod", name, namespace)
            where = f" (pod {pod.name}: {pod.phase}, {pod.reason})" if pod else ""
            raise TaskTimeout(f"{name} ran longer than {timeout:.0f}s and was deleted{where}",
                              hint="pass a longer --timeout; a pod still Pending waits for a node "
                                   "or an image")
        clock.sleep(clock.poll_seconds)
