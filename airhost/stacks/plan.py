"""``airhost plan``: what a deploy would change, stack by stack, without changing anything.

A deployed stack gets a change set, described then deleted; a stack that does not exist yet is
"would create", with its template's resources. Inputs from a stack not deployed yet keep the current
value (or make the later stack "would create" too). The result is plain data for a table or JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from airhost.aws.cloudformation import CloudFormation, ResourceChange
from airhost.progress import Progress
from airhost.stacks.changeset import MissingOutput, prepare, stack_parameters, template_resources
from airhost.render.stacks import Layer, StackTemplate


@dataclass(frozen=True)
class StackPlan:
    name: str
    layer: Layer
    action: str  # create | update | none
    changes: tuple[ResourceChange, ...]

    def to_json(self) -> dict[str, Any]:
        return {"stack": self.name, "layer": self.layer, "action": self.action,
                "changes": [{"action": c.action, "resource": c.logical_id, "type": c.resource_type,
                             "replacement": c.replacement, "physical_id": c.physical_id}
                            for c in self.changes]}


def plan_stacks(cfn: CloudFormation, stacks: list[StackTemplate],
                     progress: Progress) -> list[StackPlan]:
    outputs: dict[Layer, dict[str, str]] = {}
    plans: list[StackPlan] = []
    for stack in stacks:
        progress.step(f"planning {stack.name}")
        existing = cfn.describe(stack.name)
        if existing is None or existing.never_created:
            plans.append(StackPlan(stack.name, stack.layer, "create",
                                   template_resources(stack.template)))
            continue
        outputs[stack.layer] = existing.outputs
        try:
            parameters = stack_parameters(stack, outputs, existing)
        except MissingOutput:
            parameters = {**stack.parameters, **existing.parameters}
        change_set = prepare(cfn, stack, parameters, create=False)
        if not change_set.empty:
            cfn.delete_change_set(change_set.change_set_id)
        plans.append(StackPlan(stack.name, stack.layer, "none" if change_set.empty else "update",
                               change_set.changes))
    return plans


def has_changes(plans: list[StackPlan]) -> bool:
    return any(plan.action != "none" for plan in plans)
