"""The targets airhost runs Airflow on, and the one place that says what each can do.

``target_of(env)`` gives the environment's ``Target``; ``require(env, capability)`` gives it too,
or raises the one ``Unsupported`` error every command shows when a target cannot do what was
asked. ``open_deployment(project, env, capability)`` does both and opens the deployment. Nothing
else in airhost branches on the name of a target.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from airhost.errors import UsageError
from airhost.targets.base import (
    CAPABILITIES, CommandResult, ComponentState, Deployment, Facts, Target,
)

if TYPE_CHECKING:
    from airhost.config.loader import Project
    from airhost.config.models import Environment

__all__ = ["CAPABILITIES", "CommandResult", "ComponentState", "Deployment", "Facts", "Target",
           "Unsupported", "open_deployment", "require", "target_of", "targets"]


class Unsupported(UsageError):
    """A command that the environment's target cannot do."""


def targets() -> dict[str, Target]:
    """Every target by name. Imported late: a command pays only for the target it uses."""
    from airhost.targets.ec2 import EC2
    from airhost.targets.ecs import ECS
    from airhost.targets.eks import EKS
    from airhost.targets.local import LOCAL

    return {target.name: target for target in (LOCAL, ECS, EKS, EC2)}


def target_of(env: Environment) -> Target:
    known = targets()
    if env.target not in known:
        raise Unsupported(
            f"environment '{env.name}' has target {env.target}, which this airhost cannot run yet",
            hint="targets available: " + ", ".join(sorted(known)))
    return known[env.target]


def require(env: Environment, capability: str) -> Target:
    """The environment's target when it can do ``capability``; Unsupported otherwise."""
    target = target_of(env)
    if capability not in target.capabilities:
        command = CAPABILITIES.get(capability, capability)
        can = sorted(name for name, other in targets().items() if capability in other.capabilities)
        hint = target.instead.get(capability) or (
            f"'{command}' works on {', '.join(can)} environments" if can else None)
        raise Unsupported(
            f"'airhost {command}' does not apply to environment '{env.name}': "
            f"it has target {target.name}", hint=hint)
    return target


def open_deployment(project: Project, env: Environment, capability: str) -> Deployment:
    return require(env, capability).open(project, env)
