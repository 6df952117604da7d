"""The EC2 target: Airflow on Auto Scaling groups of Amazon Linux 2023 nodes, no SSH.

Its stacks come from ``airhost.render.ec2`` (the shared network, data and access stacks plus the
``compute`` stack); its deployment is ``Ec2Deployment``: groups whose desired capacities are the
compute stack's counts, one-off commands through SSM Run Command on a scheduler node, logs from
CloudWatch, shells through Session Manager.
"""

from __future__ import annotations

from airhost.config.loader import Project
from airhost.config.models import Environment
from airhost.render.ec2 import render_stacks
from airhost.targets.base import Target
from airhost.targets.ec2.deployment import Ec2Deployment

__all__ = ["EC2", "Ec2Deployment"]


def _open(project: Project | None, env: Environment) -> Ec2Deployment:
    return Ec2Deployment(env, project_root=project.root if project else None)


def _summary(env: Environment) -> str:
    return f"EC2 {env.ec2.topology}, {env.ec2.instance_type}, access {env.access.mode}, {env.region}"


EC2 = Target(
    name="ec2",
    title="EC2",
    capabilities=frozenset({"render", "plan", "deploy", "destroy", "status", "logs", "run",
                            "scale", "dags", "shell"}),
    open=_open,
    layers=Ec2Deployment.layers,
    render=render_stacks,
    summary=_summary,
    instead={"up": "'airhost up' runs a local environment; deploy this one with "
                   "'airhost deploy ENV'",
             "image": "EC2 nodes install the locked Airflow from a wheelhouse: no image to build",
             **{capability: f"'airhost {capability}' is not available for EC2 environments yet; "
                            "'airhost render ENV' writes what would be deployed"
                for capability in ("cost", "upgrade", "backup", "diagram")}},
)
