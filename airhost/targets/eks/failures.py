"""A component whose pods exit at every start: said at once, with the pod's exit and last lines.

Kubernetes restarts a failing container with a growing back-off (CrashLoopBackOff) for as long as
anyone waits; Helm's wait, and a rollout wait, would only end at their timeouts. A pod of the
release that has restarted twice and is still not ready says that one restart did not help: the
wait ends there with the component's name, how its container last ended and the last lines it
logged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from airhost.errors import ComponentFailing
from airhost.tools.kubernetes import KubernetesError, PodState

if TYPE_CHECKING:
    from airhost.targets.eks.deployment import EksDeployment

TAIL_LINES = 15


def crash_looping(aws: EksDeployment) -> tuple[str, PodState] | None:
    """The first component of the release with a crash-looping pod, and that pod; else None."""
    for pod in aws.release_pods():
        if pod.crash_looping:
            return pod.labels.get("component", pod.name), pod
    return None


def describe(aws: EksDeployment, component: str, pod: PodState) -> str:
    """What a user reads: the component, its restarts, how it last ended, and its last lines."""
    ended = (f"exit code {pod.last_exit_code}" if pod.last_exit_code is not None else
             "no exit code")
    try:
        lines = list(aws.kubernetes.log(pod.name, aws.namespace, tail=TAIL_LINES))
    except KubernetesError as error:
        lines = [f"(its log could not be read: {error.message})"]
    tail = "\n".join(f"    {line}" for line in lines[-TAIL_LINES:]) or "    (it logged nothing)"
    return (f"{component} exits at start: pod {pod.name} restarted {pod.restarts} times "
            f"({pod.reason or 'not ready'}), its last run ended with {ended}. "
            f"The last lines of its log:\n{tail}\n")


def crash_loop_error(aws: EksDeployment, component: str, pod: PodState) -> ComponentFailing:
    return ComponentFailing(describe(aws, component, pod), hint=crash_loop_hint(aws, component))


def crash_loop_hint(aws: EksDeployment, component: str) -> str:
    return (f"fix what the log names (airflow.config, a requirement, the image), then run "
            f"'airhost deploy {aws.env.name}' again; more: 'airhost logs {aws.env.name} "
            f"{component}'")
