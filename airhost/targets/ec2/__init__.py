"""The EC2 target: Airflow on Auto Scaling groups of Amazon Linux 2023 nodes, no SSH.

Its stacks come from ``airhost.render.ec2`` (the shared network, data and access stacks plus the
``compute`` stack); its deployment is ``Ec2Deployment``: groups whose desired capacities are the
compute stack's counts, one-off commands through SSM Run Command on a scheduler node, logs from
CloudWatch, shells through Session Manager; its cost estimate prices the groups' instances and
volumes (``airhost.cost.ec2``) with the shared lines of ``airhost.cost``.
"""

from __future__ import annotations

from airhost.config.ec2 import resolved_groups
from airhost.config.loader import Project
from airhost.config.models import Environment
from airhost.cost import Assumptions, Estimate, RegionPrices, estimate
from airhost.cost.ec2 import ec2_compute_lines, ec2_shape, instance_types
from airhost.render.ec2 import render_stacks
from airhost.targets.base import Target
from airhost.targets.ec2.deployment import Ec2Deployment

__all__ = ["EC2", "Ec2Deployment"]


def _open(project: Project | None, env: Environment) -> Ec2Deployment:
    return Ec2Deployment(env, project_root=project.root if project else None)


def _summary(env: Environment) -> str:
    groups = resolved_groups(env)
    types = ", ".join(sorted({group.instance_type for group in groups}))
    return (f"EC2 {env.ec2.topology} ({len(groups)} group{'s' if len(groups) > 1 else ''}: {types}), "
            f"{env.airflow.executor} executor, access {env.access.mode}, {env.region}")


def _estimate(env: Environment, prices: RegionPrices,
              assumptions: Assumptions | None = None) -> Estimate:
    """The month's estimate, counted in the EC2 stacks: the groups' instances and volumes, and
    for Celery a queue per worker group (Celery creates them) and the scheduler nodes' agents."""
    queues = sum(1 for group in resolved_groups(env) if group.queue)
    return estimate(env, prices, assumptions, compute_lines=ec2_compute_lines,
                    stacks=render_stacks(env, "cost-estimate"), queues=queues,
                    schedulers=env.ec2.schedulers if env.ec2.topology == "split" else 1,
                    shape=ec2_shape(env, prices))


EC2 = Target(
    name="ec2",
    title="EC2",
    capabilities=frozenset({"render", "plan", "deploy", "destroy", "status", "logs", "run",
                            "scale", "dags", "shell", "cost", "diagram", "backup", "upgrade"}),
    open=_open,
    layers=Ec2Deployment.layers,
    render=render_stacks,
    summary=_summary,
    estimate=_estimate,
    instance_types=instance_types,
    instead={"kubeconfig": "EC2 runs no Kubernetes cluster: 'airhost shell ENV' opens a shell on a node",
             "up": "'airhost up' runs a local environment; deploy this one with "
                   "'airhost deploy ENV'",
             "image": "EC2 nodes install the locked Airflow from a wheelhouse: no image to build"},
)
