"""One stack, brought to its rendered state through a change set, its events streamed.

The rules: a stack left half-made by an earlier run is finished or cleaned up first; an empty change
set is "no changes"; the user sees the changes and confirms; a failure names the first failing
resource; Ctrl-C during a first create offers to delete what was made.
"""

from __future__ import annotations

from dataclasses import dataclass

from airhost.aws.cloudformation import CloudFormation, ResourceChange, Stack, raise_if_failed
from airhost.errors import Aborted
from airhost.progress import Progress
from airhost.stacks.changeset import prepare
from airhost.render.stacks import Layer, StackTemplate

STACK_TIMEOUT = 3600.0


@dataclass(frozen=True)
class StackResult:
    name: str
    layer: Layer
    action: str  # created | updated | unchanged
    changes: tuple[ResourceChange, ...]
    outputs: dict[str, str]
    status: str

    def to_json(self) -> dict:
        return {"stack": self.name, "layer": self.layer, "action": self.action,
                "changes": len(self.changes), "status": self.status}


def deploy_stack(cfn: CloudFormation, stack: StackTemplate, parameters: dict[str, str],
                 progress: Progress, *, confirm: bool, timeout: float = STACK_TIMEOUT) -> StackResult:
    existing = settle(cfn, stack.name, progress, timeout=timeout)
    create = existing is None
    change_set = prepare(cfn, stack, parameters, create=create)
    if change_set.empty:
        assert existing is not None
        progress.detail(f"{stack.name}: no changes")
        return StackResult(stack.name, stack.layer, "unchanged", (), existing.outputs, existing.status)
    progress.changes(stack.name, change_set.changes)
    verb = "create" if create else "update"
    if confirm and not progress.confirm(
            f"{verb} stack {stack.name} ({len(change_set.changes)} changes)?"):
        cfn.delete_change_set(change_set.change_set_id)
        if create:  # the change set left an empty stack in REVIEW_IN_PROGRESS behind
            cfn.delete_stack(stack.name)
        raise Aborted(f"not deploying: the {verb} of {stack.name} was declined",
                      hint="nothing was changed in this stack")
    progress.step(f"{verb.rstrip('e')}ing stack {stack.name}")
    after = cfn.latest_event_id(stack.name)
    cfn.execute_change_set(change_set.change_set_id)
    try:
        final, events = cfn.watch(stack.name, after_event=after,
                                                 on_event=progress.stack_event, timeout=timeout)
    except KeyboardInterrupt:
        if create:
            _offer_cleanup(cfn, stack.name, progress, timeout)
        raise Aborted(f"interrupted while updating {stack.name}: CloudFormation carries on",
                      hint="run deploy again: it follows the update to its end") from None
    if final is None:
        raise Aborted(f"stack {stack.name} was deleted while being deployed")
    raise_if_failed(final, events, "creation" if create else "update")
    if stack.termination_protection and not final.termination_protection:
        cfn.set_termination_protection(stack.name, True)
    return StackResult(stack.name, stack.layer, "created" if create else "updated",
                       change_set.changes, final.outputs, final.status)


def settle(cfn: CloudFormation, name: str, progress: Progress, *, timeout: float) -> Stack | None:
    """The stack ready for a change set: an operation in progress followed to its end, a stack
    whose first create never completed deleted. None when the stack must be created."""
    existing = cfn.describe(name)
    if existing is not None and existing.in_progress and existing.status != "REVIEW_IN_PROGRESS":
        progress.detail(f"{name} is {existing.status} from an earlier run: following it")
        existing, _ = cfn.watch(name, after_event=cfn.latest_event_id(name),
                                on_event=progress.stack_event, timeout=timeout)
    if existing is not None and existing.never_created:
        progress.detail(f"{name} is {existing.status}: its first create never completed, "
                        "deleting it to start again")
        after = cfn.latest_event_id(name)
        cfn.delete_stack(name)
        cfn.watch(name, after_event=after, on_event=progress.stack_event, timeout=timeout,
                  stack_id=existing.stack_id)
        return None
    return existing


def _offer_cleanup(cfn: CloudFormation, name: str, progress: Progress, timeout: float) -> None:
    if not progress.confirm(f"interrupted while creating {name}: delete what was created so far?"):
        raise Aborted(f"interrupted while creating {name}: CloudFormation carries on",
                      hint="run deploy again to follow it, or destroy to remove it")
    stack = cfn.describe(name)
    after = cfn.latest_event_id(name)
    cfn.delete_stack(name)
    if stack is not None:
        cfn.watch(name, after_event=after, on_event=progress.stack_event, timeout=timeout,
                  stack_id=stack.stack_id)
    raise Aborted(f"interrupted while creating {name}: the stack was deleted",
                  hint="run deploy again to start over")
