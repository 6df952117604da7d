"""The contract between rendering and deploying: a stack to create or update.

``render_stacks(env, config_hash)`` (in ``airhost.render.ecs``) returns the environment's stacks in
deploy order. A stack's parameters come from the config (``parameters``) or from the outputs of an
earlier stack (``inputs``), read at deploy time; no exports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Layer = Literal["network", "data", "airflow", "access"]
LAYERS: tuple[Layer, ...] = ("network", "data", "airflow", "access")


@dataclass(frozen=True)
class StackTemplate:
    """One CloudFormation stack of an environment, fully rendered."""

    layer: Layer
    name: str  # the CloudFormation stack name: {project}-{environment}-{layer}
    template: dict[str, Any]
    parameters: dict[str, str] = field(default_factory=dict)  # known at render time
    inputs: dict[str, tuple[Layer, str]] = field(default_factory=dict)  # parameter → (layer, output)
    termination_protection: bool = False
    tags: dict[str, str] = field(default_factory=dict)
    # Parameters an operation sets (a database restore): every later update passes the deployed
    # value again, since the template default would undo the operation.
    kept: tuple[str, ...] = ()


def stack_name(project: str, environment: str, layer: Layer) -> str:
    return f"{project}-{environment}-{layer}"
