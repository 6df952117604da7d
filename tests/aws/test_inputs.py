"""What users type and stacks pass along, turned into AWS inputs: counts, times, parameters."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from airhost.aws.cloudformation import Stack
from airhost.errors import UsageError
from airhost.ops.scale import parse_counts
from airhost.targets.cloud_logs import parse_since
from airhost.targets.ecs.deployment import count_parameter
from airhost.targets.ecs.facts import parse_services
from airhost.stacks.changeset import MissingOutput, stack_parameters
from airhost.render.stacks import StackTemplate

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=timezone.utc)


def test_counts_are_component_equals_number():
    assert parse_counts(["worker=3", "scheduler=2"]) == {"worker": 3, "scheduler": 2}
    with pytest.raises(UsageError, match="'worker:3' is not COMPONENT=COUNT"):
        parse_counts(["worker:3"])
    with pytest.raises(UsageError):
        parse_counts(["worker=-1"])


def test_each_component_has_its_count_parameter():
    assert count_parameter("api-server") == "DesiredCountApiServer"
    assert count_parameter("dag-processor") == "DesiredCountDagProcessor"
    assert count_parameter("standalone") == "DesiredCountStandalone"


def test_since_takes_durations_and_times():
    assert parse_since("10m", NOW) == int(NOW.timestamp() * 1000) - 600_000
    assert parse_since("2026-05-01T11:00:00Z", NOW) == int(NOW.timestamp() * 1000) - 3_600_000
    with pytest.raises(UsageError, match="30s, 10m, 2h, 1d"):
        parse_since("yesterday", NOW)


def test_the_services_output_maps_components_to_services():
    assert parse_services("api-server=a-1, scheduler=s-2") == {"api-server": "a-1",
                                                                "scheduler": "s-2"}


def test_inputs_come_from_earlier_outputs_and_a_missing_one_is_named():
    stack = StackTemplate("data", "shop-prod-data", {}, parameters={"Size": "20"},
                          inputs={"SubnetIds": ("network", "PrivateSubnetIds")})
    assert stack_parameters(stack, {"network": {"PrivateSubnetIds": "a,b"}}) == {
        "Size": "20", "SubnetIds": "a,b"}
    with pytest.raises(MissingOutput, match="needs output PrivateSubnetIds of the network stack"):
        stack_parameters(stack, {"network": {}})
    deployed = Stack("shop-prod-data", "id", "UPDATE_COMPLETE", parameters={"SubnetIds": "x,y"})
    assert stack_parameters(stack, {}, deployed)["SubnetIds"] == "x,y"  # a plan keeps the current
