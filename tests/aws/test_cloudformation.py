"""The CloudFormation facade: stacks, change sets, streamed events, failures named."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from airhost.aws.cloudformation import CloudFormation, first_failure, raise_if_failed
from airhost.aws.errors import ChangeSetEmpty, ChangeSetFailed, StackFailed, WaitTimeout

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=timezone.utc)
STACK_ID = "arn:aws:cloudformation:eu-west-1:123456789012:stack/s/1"


def stack(status: str, **extra) -> dict:
    return {"Stacks": [{"StackName": "s", "StackId": STACK_ID, "StackStatus": status,
                        "CreationTime": T0, **extra}]}


def event(number: int, logical: str, status: str, reason: str | None = None,
          kind: str = "AWS::ECS::Service") -> dict:
    raw = {"StackId": STACK_ID, "EventId": f"e{number}", "StackName": "s",
           "LogicalResourceId": logical, "ResourceType": kind, "ResourceStatus": status,
           "Timestamp": T0 + timedelta(seconds=number)}
    if reason:
        raw["ResourceStatusReason"] = reason
    return raw


def test_a_missing_stack_is_none_and_a_present_one_has_its_outputs(session, stub):
    cfn = stub("cloudformation")
    cfn.add_client_error("describe_stacks", service_error_code="ValidationError",
                         service_message="Stack with id s does not exist")
    cfn.add_response("describe_stacks", stack(
        "UPDATE_COMPLETE", Outputs=[{"OutputKey": "ClusterName", "OutputValue": "c"}],
        Parameters=[{"ParameterKey": "Image", "ParameterValue": "apache/airflow:3.1.3"}],
        EnableTerminationProtection=True))

    facade = CloudFormation(session)
    assert facade.describe("s") is None
    found = facade.describe("s")
    assert found.outputs == {"ClusterName": "c"}
    assert found.parameters == {"Image": "apache/airflow:3.1.3"}
    assert found.termination_protection and not found.failed


def test_change_set_changes_are_read_across_pages_once_created(session, stub, fake_clock):
    cfn = stub("cloudformation")
    change = {"Type": "Resource", "ResourceChange": {
        "Action": "Modify", "LogicalResourceId": "TaskDefinition",
        "ResourceType": "AWS::ECS::TaskDefinition", "Replacement": "True"}}
    cfn.add_response("describe_change_set", {"Status": "CREATE_IN_PROGRESS", "StackName": "s"})
    cfn.add_response("describe_change_set", {"Status": "CREATE_COMPLETE", "StackName": "s",
                                             "Changes": [change], "NextToken": "2"})
    cfn.add_response("describe_change_set", {"Status": "CREATE_COMPLETE", "StackName": "s",
                                             "Changes": [change]})

    changes = CloudFormation(session).wait_change_set("cs")
    assert [(c.action, c.logical_id, c.replacement) for c in changes] == [
        ("Modify", "TaskDefinition", "True")] * 2
    assert len(fake_clock.sleeps) == 1


def test_a_change_set_without_changes_is_empty_and_a_rejected_one_says_why(session, stub):
    cfn = stub("cloudformation")
    cfn.add_response("describe_change_set", {
        "Status": "FAILED", "StackName": "s", "StatusReason":
        "The submitted information didn't contain changes. Submit different information."})
    cfn.add_response("describe_change_set", {
        "Status": "FAILED", "StackName": "s",
        "StatusReason": "Parameters: [Image] must have values"})

    facade = CloudFormation(session)
    with pytest.raises(ChangeSetEmpty):
        facade.wait_change_set("cs")
    with pytest.raises(ChangeSetFailed, match=r"Parameters: \[Image\] must have values"):
        facade.wait_change_set("cs")


def test_watch_streams_new_events_in_order_until_the_stack_settles(session, stub):
    cfn = stub("cloudformation")
    old = event(0, "s", "UPDATE_COMPLETE", kind="AWS::CloudFormation::Stack")
    first = event(1, "s", "UPDATE_IN_PROGRESS", "User Initiated", "AWS::CloudFormation::Stack")
    second = event(2, "Service", "UPDATE_IN_PROGRESS")
    third = event(3, "Service", "UPDATE_COMPLETE")
    cfn.add_response("describe_stack_events", {"StackEvents": [second, first, old]})
    cfn.add_response("describe_stacks", stack("UPDATE_IN_PROGRESS"))
    cfn.add_response("describe_stack_events", {"StackEvents": [third, second, first, old]})
    cfn.add_response("describe_stacks", stack("UPDATE_COMPLETE"))

    seen = []
    final, events = CloudFormation(session).watch("s", after_event="e0", on_event=seen.append,
                                                  timeout=600)
    assert [e.event_id for e in seen] == ["e1", "e2", "e3"]
    assert final.status == "UPDATE_COMPLETE" and len(events) == 3


def test_watch_gives_up_after_its_timeout(session, stub):
    cfn = stub("cloudformation")
    for _ in range(4):  # at 0, 5, 10 and 15 seconds
        cfn.add_response("describe_stack_events", {"StackEvents": []})
        cfn.add_response("describe_stacks", stack("CREATE_IN_PROGRESS"))

    with pytest.raises(WaitTimeout, match="still CREATE_IN_PROGRESS"):
        CloudFormation(session).watch("s", after_event=None, on_event=print, timeout=10)


def test_a_rollback_names_the_resource_that_caused_it_not_the_cancelled_ones(session):
    from airhost.aws.cloudformation import _event, _stack

    events = [_event(e) for e in (
        event(1, "Cluster", "UPDATE_FAILED", "Resource update cancelled"),
        event(2, "Service", "UPDATE_FAILED", "Invalid request provided: subnet not found"),
        event(3, "s", "UPDATE_ROLLBACK_IN_PROGRESS", "The following resource(s) failed: [Service]"),
    )]
    assert first_failure(events).logical_id == "Service"
    with pytest.raises(StackFailed) as failure:
        raise_if_failed(_stack(stack("UPDATE_ROLLBACK_COMPLETE")["Stacks"][0]), events, "update")
    assert failure.value.resource == "Service"
    assert "subnet not found" in str(failure.value)
    assert "previous version keeps serving" in str(failure.value)
