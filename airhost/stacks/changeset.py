"""A stack's parameters and its change set: the step plan and deploy share.

Parameters come from the rendered stack (``parameters``) and from earlier stacks' outputs
(``inputs``). A change set is created, waited for and described here; ``plan`` deletes it,
``deploy`` executes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from airhost.aws.cloudformation import CloudFormation, ResourceChange, Stack
from airhost.aws.errors import ChangeSetEmpty
from airhost.errors import AirhostError
from airhost.render.stacks import Layer, StackTemplate


class MissingOutput(AirhostError):
    """A stack needs an output an earlier stack does not have."""

    exit_code = 3


@dataclass(frozen=True)
class ChangeSet:
    stack: str
    change_set_id: str
    create: bool
    changes: tuple[ResourceChange, ...]
    empty: bool = False  # CloudFormation found nothing to change (a change set may still list no
    # resource changes and have work to do: new outputs, parameters or metadata)


def stack_parameters(stack: StackTemplate, outputs: Mapping[Layer, Mapping[str, str]],
                     existing: Stack | None = None) -> dict[str, str]:
    """The stack's parameter values: rendered ones, then inputs from earlier stacks' outputs.

    An input whose source stack is not deployed yet (a plan before the first deploy) keeps the
    stack's current value when it has one; so does every ``kept`` parameter (set by an operation
    such as a restore, never by the config).
    """
    values = dict(stack.parameters)
    for parameter in stack.kept:
        if existing is not None and existing.parameters.get(parameter):
            values[parameter] = existing.parameters[parameter]
    for parameter, (layer, output) in stack.inputs.items():
        source = outputs.get(layer)
        if source is not None and output in source:
            values[parameter] = source[output]
        elif existing is not None and parameter in existing.parameters:
            values[parameter] = existing.parameters[parameter]
        else:
            raise MissingOutput(
                f"stack {stack.name} needs output {output} of the {layer} stack, which has none",
                hint=f"deploy the {layer} stack first, or check that its template outputs {output}")
    return values


def prepare(cloudformation: CloudFormation, stack: StackTemplate, parameters: dict[str, str], *,
            create: bool, timeout: float = 600) -> ChangeSet:
    """Create the stack's change set and wait for it; empty changes when there is nothing to do."""
    name = cloudformation.clock.utcnow().strftime("airhost-%Y%m%d-%H%M%S-%f")
    change_set_id = cloudformation.create_change_set(
        stack.name, template=stack.template, parameters=parameters, tags=stack.tags,
        create=create, change_set_name=name,
        description=f"airhost {stack.layer} stack {stack.name}")
    try:
        changes = cloudformation.wait_change_set(change_set_id, timeout=timeout)
    except ChangeSetEmpty:
        cloudformation.delete_change_set(change_set_id)
        return ChangeSet(stack.name, change_set_id, create, (), empty=True)
    except BaseException:
        cloudformation.delete_change_set(change_set_id)
        raise
    return ChangeSet(stack.name, change_set_id, create, tuple(changes))


def template_resources(template: dict[str, Any]) -> tuple[ResourceChange, ...]:
    """Every resource of a template as an Add: what creating the stack would do."""
    return tuple(ResourceChange(action="Add", logical_id=logical_id,
                                resource_type=resource.get("Type", ""))
                 for logical_id, resource in sorted(template.get("Resources", {}).items()))
