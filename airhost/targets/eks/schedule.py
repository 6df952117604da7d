"""The office hours of a deployed EKS environment: its CronJobs applied, what is left of old ones
removed, and what they last did.

Every deploy applies ``render_schedule``'s objects (server-side apply, as the namespace and the
secrets are) once the chart is installed, then deletes every object airhost labelled as the
schedule's that is no longer rendered: a schedule taken out of the config, or fewer edges after
a change. CronJobs go first, so no Job starts without its Role. Running it twice changes nothing.
``airhost destroy`` needs nothing of its own: deleting the namespace removes them. A hold (an
upgrade, a restore) suspends them, so no wake starts a workload meanwhile; resuming them (or a
deploy: every CronJob is rendered with ``suspend: false``) lets one run an edge it missed at once,
within its starting deadline, as the schedule would have.
"""

from __future__ import annotations

from typing import Any

from airhost.config.models import Environment
from airhost.progress import Progress
from airhost.render.eks.schedule import LABELS, SCHEDULE_KINDS, render_schedule
from airhost.tools.kubernetes import Kubernetes

SELECTOR = dict(LABELS)  # airhost's, for the schedule


def apply_schedule(kubernetes: Kubernetes, env: Environment, values: dict[str, Any],
                   progress: Progress) -> None:
    """The schedule's objects in the release's namespace, exactly as rendered from ``values``."""
    wanted = render_schedule(env, values)
    if wanted and env.schedule is not None:
        jobs = sum(1 for obj in wanted if obj["kind"] == "CronJob")
        progress.step(f"applying the office hours: {jobs} CronJobs in {env.schedule.timezone} "
                      f"({', '.join(env.schedule.awake)})")
    for obj in wanted:
        kubernetes.apply(obj)
    rendered = {(obj["kind"], obj["metadata"]["name"]) for obj in wanted}
    for kind in SCHEDULE_KINDS:
        for name in kubernetes.names(kind, env.eks.namespace, SELECTOR):
            if (kind, name) not in rendered and kubernetes.delete(kind, name, env.eks.namespace):
                progress.detail(f"removed {kind} {name}: no longer in the schedule")


def schedule_runs(kubernetes: Kubernetes, env: Environment) -> list[dict[str, Any]]:
    """Each schedule CronJob as the cluster has it: cron, zone, and when it last started a Job."""
    return [job.to_json() for job in kubernetes.cron_jobs(env.eks.namespace, SELECTOR)]


def suspend_schedule(kubernetes: Kubernetes, env: Environment, suspended: bool,
                     progress: Progress) -> None:
    """Every schedule CronJob suspended (or resumed); those already so are left alone."""
    for job in kubernetes.cron_jobs(env.eks.namespace, SELECTOR):
        if job.suspended != suspended:
            progress.detail(f"CronJob {job.name} {'suspended' if suspended else 'resumed'}")
            kubernetes.suspend_cron_job(job.name, env.eks.namespace, suspended)
