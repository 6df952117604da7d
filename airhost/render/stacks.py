"""The contract between rendering and deploying: a stack to create or update.

Each target's renderer (``airhost.targets``) returns the environment's stacks in deploy order. A
stack's parameters come from the config (``parameters``) or from the outputs of an earlier stack
(``inputs``), read at deploy time; no exports. ``counts`` names the parameters that hold component
counts: the deploy sets them to 0 while nothing may start (before the first migration, during an
upgrade's migration).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Layer = Literal["network", "data", "access", "airflow", "compute"]
LAYERS: tuple[Layer, ...] = ("network", "data", "access", "airflow", "compute")


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
    counts: tuple[str, ...] = ()  # parameters holding component counts (held at 0 when asked)

    def held(self, parameters: dict[str, str]) -> dict[str, str]:
        """``parameters`` with every count at 0."""
        return {key: "0" if key in self.counts else value for key, value in parameters.items()}


def stack_name(project: str, environment: str, layer: Layer) -> str:
    return f"{project}-{environment}-{layer}"
