"""The ECS target: Fargate or ECS Managed Instances, one task or a service per component.

Its stacks come from ``airhost.render.ecs`` (the shared network, data and access stacks plus the
``airflow`` compute stack); its deployment is ``EcsDeployment``; its cost estimate is
``airhost.cost``'s.
"""

from __future__ import annotations

from airhost.config.loader import Project
from airhost.config.models import Environment
from airhost.cost import estimate
from airhost.render.ecs import render_stacks
from airhost.targets.base import Target
from airhost.targets.ecs.deployment import EcsDeployment

__all__ = ["ECS", "EcsDeployment"]


def _open(project: Project | None, env: Environment) -> EcsDeployment:
    return EcsDeployment(env)


def _summary(env: Environment) -> str:
    return f"ECS {env.ecs.capacity}, {env.ecs.topology}, access {env.access.mode}, {env.region}"


ECS = Target(
    name="ecs",
    title="ECS",
    capabilities=frozenset({"render", "plan", "deploy", "destroy", "status", "logs", "run",
                            "scale", "dags", "backup", "upgrade", "cost", "diagram", "image"}),
    open=_open,
    layers=EcsDeployment.layers,
    render=render_stacks,
    summary=_summary,
    estimate=estimate,
    instead={"kubeconfig": "ECS runs no Kubernetes cluster: 'airhost status ENV' and 'airhost logs ENV' show its services",
             "up": "'airhost up' runs a local environment; deploy this one with "
                   "'airhost deploy ENV'",
             "shell": "a shell in an ECS task is not built in yet: 'airhost run ENV -- bash -c ...' "
                      "runs a one-off command, and with ecs.exec: true 'aws ecs execute-command' "
                      "opens a shell in a running task"},
)
