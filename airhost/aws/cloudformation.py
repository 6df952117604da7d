"""CloudFormation as airhost uses it: stacks, change sets, events, waits.

The facade never decides anything: it describes, creates, executes and deletes, and it waits by
polling stack events with the session's clock, handing each new event to a callback as it appears
(like a good deploy tool streams them). Stack state lives in CloudFormation only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable

from airhost.aws.errors import (
    AwsApiError, ChangeSetEmpty, ChangeSetFailed, StackFailed, StackNotFound, WaitTimeout,
)
from airhost.aws.session import AwsSession
from airhost.aws.templates import TemplateStore

FAILED_ENDINGS = ("_FAILED", "ROLLBACK_COMPLETE")
EMPTY_REASONS = ("didn't contain changes", "No updates are to be performed")
# Events that are consequences of another failure, not its cause.
CONSEQUENCES = ("Resource creation cancelled", "Resource update cancelled",
                "The following resource(s) failed")


@dataclass(frozen=True)
class Stack:
    name: str
    stack_id: str
    status: str
    reason: str | None = None
    outputs: dict[str, str] = field(default_factory=dict)
    parameters: dict[str, str] = field(default_factory=dict)
    termination_protection: bool = False
    updated: datetime | None = None

    @property
    def in_progress(self) -> bool:
        return self.status.endswith("_IN_PROGRESS")

    @property
    def failed(self) -> bool:
        return self.status.endswith(FAILED_ENDINGS)

    @property
    def never_created(self) -> bool:
        """Created through a change set never executed, or rolled back on its first create."""
        return self.status in ("REVIEW_IN_PROGRESS", "ROLLBACK_COMPLETE", "ROLLBACK_FAILED",
                               "CREATE_FAILED")


@dataclass(frozen=True)
class StackEvent:
    event_id: str
    stack: str
    logical_id: str
    resource_type: str
    status: str
    reason: str | None
    timestamp: datetime

    @property
    def failed(self) -> bool:
        return self.status.endswith("_FAILED")


@dataclass(frozen=True)
class ResourceChange:
    action: str  # Add | Modify | Remove | Import | Dynamic
    logical_id: str
    resource_type: str
    replacement: str | None = None  # True | False | Conditional, for Modify
    physical_id: str | None = None
    scope: tuple[str, ...] = ()


class CloudFormation:
    def __init__(self, session: AwsSession) -> None:
        self.session = session
        self.clock = session.clock
        self.templates = TemplateStore(session)  # inline when a template fits, S3 otherwise

    def _call(self, operation: str, **kwargs: Any) -> dict[str, Any]:
        return self.session.call("cloudformation", operation, **kwargs)

    def describe(self, name: str) -> Stack | None:
        """The stack, or None when it does not exist (or was deleted)."""
        try:
            found = self._call("describe_stacks", StackName=name)["Stacks"]
        except AwsApiError as error:
            if error.code == "ValidationError" and "does not exist" in error.message:
                return None
            raise
        if not found or found[0]["StackStatus"] == "DELETE_COMPLETE":
            return None
        return _stack(found[0])

    def require(self, name: str) -> Stack:
        stack = self.describe(name)
        if stack is None:
            raise StackNotFound(f"stack {name} does not exist in {self.session.region}",
                                hint="deploy the environment first")
        return stack

    def create_change_set(self, name: str, *, template: dict[str, Any], parameters: dict[str, str],
                          tags: dict[str, str], create: bool, change_set_name: str,
                          description: str = "") -> str:
        response = self._call(
            "create_change_set", StackName=name, ChangeSetName=change_set_name,
            ChangeSetType="CREATE" if create else "UPDATE", **self.templates.source(name, template),
            Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in sorted(parameters.items())],
            Tags=[{"Key": k, "Value": v} for k, v in sorted(tags.items())],
            Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
            Description=description[:1024],
        )
        return response["Id"]

    def wait_change_set(self, change_set_id: str, *, timeout: float = 600) -> list[ResourceChange]:
        """The change set's resource changes once created; ChangeSetEmpty when there are none."""
        deadline = self.clock.monotonic() + timeout
        while True:
            described = self._call("describe_change_set", ChangeSetName=change_set_id)
            status, reason = described["Status"], described.get("StatusReason") or ""
            if status == "CREATE_COMPLETE":
                return self._changes(change_set_id, described)
            if status == "FAILED":
                if any(text in reason for text in EMPTY_REASONS):
                    raise ChangeSetEmpty(f"no changes to {described.get('StackName', 'the stack')}")
                raise ChangeSetFailed(
                    f"CloudFormation rejected the change set for {described.get('StackName')}: {reason}",
                    hint="fix the template or parameters it names, then run again")
            if self.clock.monotonic() > deadline:
                raise WaitTimeout(f"change set {change_set_id} still {status} after {timeout:.0f}s",
                                  hint="look at the CloudFormation console, then run again")
            self.clock.sleep(min(self.clock.poll_seconds, 2.0))

    def _changes(self, change_set_id: str, first: dict[str, Any]) -> list[ResourceChange]:
        page, changes = first, []
        while True:
            changes.extend(_change(item["ResourceChange"]) for item in page.get("Changes", [])
                           if "ResourceChange" in item)
            token = page.get("NextToken")
            if not token:
                return changes
            page = self._call("describe_change_set", ChangeSetName=change_set_id, NextToken=token)

    def template(self, name: str) -> dict[str, Any]:
        """The template the stack was last deployed with (what a rollback or restore re-applies)."""
        body = self._call("get_template", StackName=name, TemplateStage="Original")["TemplateBody"]
        return body if isinstance(body, dict) else json.loads(body)

    def execute_change_set(self, change_set_id: str) -> None:
        self._call("execute_change_set", ChangeSetName=change_set_id)

    def delete_change_set(self, change_set_id: str) -> None:
        try:
            self._call("delete_change_set", ChangeSetName=change_set_id)
        except AwsApiError as error:
            if error.code not in ("ChangeSetNotFound", "ValidationError"):
                raise

    def set_termination_protection(self, name: str, enabled: bool) -> None:
        self._call("update_termination_protection", StackName=name,
                   EnableTerminationProtection=enabled)

    def delete_stack(self, name: str) -> None:
        self._call("delete_stack", StackName=name)

    def events(self, name: str, *, seen: set[str] | None = None) -> list[StackEvent]:
        """Events newer than the newest one in ``seen``, oldest first."""
        seen = seen if seen is not None else set()
        new: list[StackEvent] = []
        try:
            for raw in self.session.pages("cloudformation", "describe_stack_events", "StackEvents",
                                          StackName=name):
                event = _event(raw)
                if event.event_id in seen:
                    break
                new.append(event)
        except AwsApiError as error:
            if error.code == "ValidationError" and "does not exist" in error.message:
                return []
            raise
        new.reverse()
        return new

    def latest_event_id(self, name: str) -> str | None:
        """The newest event's id: where a watch that follows starts from."""
        try:
            events = self._call("describe_stack_events", StackName=name).get("StackEvents", [])
        except AwsApiError as error:
            if error.code == "ValidationError" and "does not exist" in error.message:
                return None
            raise
        return events[0]["EventId"] if events else None

    def watch(self, name: str, *, after_event: str | None, on_event: Callable[[StackEvent], None],
              timeout: float, stack_id: str | None = None) -> tuple[Stack | None, list[StackEvent]]:
        """Poll until the stack leaves *_IN_PROGRESS, streaming events; (final stack, its events).

        Events up to ``after_event`` are history and skipped. The final stack is None when it was
        deleted; ``stack_id`` lets a watch follow a stack being deleted.
        """
        deadline = self.clock.monotonic() + timeout
        seen: set[str] = {after_event} if after_event else set()
        history: list[StackEvent] = []
        while True:
            for event in self.events(stack_id or name, seen=seen):
                seen.add(event.event_id)
                history.append(event)
                on_event(event)
            stack = self.describe(stack_id or name)
            if stack is None or not stack.in_progress:
                return stack, history
            if self.clock.monotonic() > deadline:
                raise WaitTimeout(f"stack {name} is still {stack.status} after {timeout:.0f}s",
                                  hint="it may still finish: run the command again to follow it")
            self.clock.sleep(self.clock.poll_seconds)


def first_failure(events: list[StackEvent]) -> StackEvent | None:
    """The event that caused a failure: the earliest failed one that is not a consequence."""
    failed = [e for e in events if e.failed and e.reason]
    causes = [e for e in failed if not any(text in (e.reason or "") for text in CONSEQUENCES)]
    return (causes or failed or [None])[0]


def raise_if_failed(stack: Stack, events: list[StackEvent], operation: str) -> None:
    if not stack.failed:
        return
    cause = first_failure(events)
    where = f": {cause.logical_id} ({cause.resource_type}) {cause.reason}" if cause else (
        f": {stack.reason}" if stack.reason else "")
    rolled_back = "ROLLBACK_COMPLETE" in stack.status
    hint = ("CloudFormation rolled back; the previous version keeps serving — fix the cause and "
            "deploy again") if rolled_back and "UPDATE" in stack.status else (
        "fix the cause and deploy again" if rolled_back else
        "look at the stack in the CloudFormation console before deploying again")
    raise StackFailed(f"{operation} of stack {stack.name} failed ({stack.status}){where}",
                      stack=stack.name, status=stack.status,
                      resource=cause.logical_id if cause else None,
                      reason=cause.reason if cause else stack.reason, hint=hint)


def _stack(raw: dict[str, Any]) -> Stack:
    return Stack(
        name=raw["StackName"], stack_id=raw["StackId"], status=raw["StackStatus"],
        reason=raw.get("StackStatusReason"),
        outputs={o["OutputKey"]: o.get("OutputValue", "") for o in raw.get("Outputs") or []},
        parameters={p["ParameterKey"]: p.get("ParameterValue", "") for p in raw.get("Parameters") or []},
        termination_protection=bool(raw.get("EnableTerminationProtection")),
        updated=raw.get("LastUpdatedTime") or raw.get("CreationTime"),
    )


def _event(raw: dict[str, Any]) -> StackEvent:
    return StackEvent(
        event_id=raw["EventId"], stack=raw["StackName"], logical_id=raw.get("LogicalResourceId", ""),
        resource_type=raw.get("ResourceType", ""), status=raw.get("ResourceStatus", ""),
        reason=raw.get("ResourceStatusReason"), timestamp=raw["Timestamp"],
    )


def _change(raw: dict[str, Any]) -> ResourceChange:
    return ResourceChange(
        action=raw.get("Action", "Modify"), logical_id=raw.get("LogicalResourceId", ""),
        resource_type=raw.get("ResourceType", ""), replacement=raw.get("Replacement"),
        physical_id=raw.get("PhysicalResourceId"), scope=tuple(raw.get("Scope", [])),
    )
