"""Office hours rendered for AWS's own schedulers: scheduled actions on every service and the NAT."""

from __future__ import annotations

import pytest

from airhost.errors import ConfigError
from tests.render.conftest import resources_of
from tests.render.test_ecs_stacks import render

OFFICE = {"awake": ["Mon-Fri 07:00-20:00"], "timezone": "Europe/Berlin"}
WEEKDAYS = "MON,TUE,WED,THU,FRI"


def layer(stacks, name):
    return next(s for s in stacks if s.layer == name).template


def actions_by_name(target):
    return {a["ScheduledActionName"]: a for a in target["Properties"]["ScheduledActions"]}


def test_a_standalone_task_sleeps_at_eight_and_wakes_at_seven_berlin_time():
    airflow = layer(render(schedule=OFFICE), "airflow")
    target = airflow["Resources"]["StandaloneScaling"]["Properties"]
    assert target["ResourceId"] == {"Fn::Sub": "service/${Cluster}/${StandaloneService.Name}"}
    count = {"Ref": "DesiredCountStandalone"}
    assert (target["MinCapacity"], target["MaxCapacity"]) == (count, count)
    actions = {a["Schedule"]: a for a in target["ScheduledActions"]}
    wake, sleep = actions[f"cron(0 7 ? * {WEEKDAYS} *)"], actions[f"cron(0 20 ? * {WEEKDAYS} *)"]
    assert wake["Timezone"] == sleep["Timezone"] == "Europe/Berlin"
    assert wake["ScalableTargetAction"] == {"MinCapacity": count, "MaxCapacity": count}
    assert sleep["ScalableTargetAction"] == {"MinCapacity": 0, "MaxCapacity": 0}
    assert len(actions) == 2


def test_every_service_of_a_split_celery_environment_follows_the_schedule():
    stacks = render(schedule=OFFICE, airflow={"executor": "celery"},
                    ecs={"topology": "split", "image": "ecr", "schedulers": 2},
                    workers={"min": 1, "max": 6, "queues": {"heavy": {"min": 0, "max": 2}}})
    airflow = layer(stacks, "airflow")
    targets = resources_of(airflow, "AWS::ApplicationAutoScaling::ScalableTarget")
    services = resources_of(airflow, "AWS::ECS::Service")
    assert {name[: -len("Scaling")] for name in targets} == {name[: -len("Service")] for name in services}
    wakes = {name: next(a for a in t["Properties"]["ScheduledActions"] if a["ScheduledActionName"].startswith("wake"))
             for name, t in targets.items()}
    # workers wake into their autoscaling range, the others to their configured counts
    assert wakes["WorkerScaling"]["ScalableTargetAction"] == {"MinCapacity": 1, "MaxCapacity": 6}
    assert wakes["WorkerHeavyScaling"]["ScalableTargetAction"] == {"MinCapacity": 0, "MaxCapacity": 2}
    assert wakes["SchedulerScaling"]["ScalableTargetAction"]["MinCapacity"] == {"Ref": "DesiredCountScheduler"}
    assert layer(stacks, "airflow")["Outputs"]["ScalingBounds"]  # what --resume restores


def test_the_nat_instance_wakes_ten_minutes_before_the_services_and_sleeps_ten_after():
    network = layer(render(schedule=OFFICE), "network")
    actions = resources_of(network, "AWS::AutoScaling::ScheduledAction")
    by_size = {a["Properties"]["DesiredCapacity"]: a["Properties"] for a in actions.values()}
    assert len(actions) == 2
    assert by_size[1]["Recurrence"] == "50 6 * * 1,2,3,4,5"  # Unix cron: Sunday is 0
    assert by_size[0]["Recurrence"] == "10 20 * * 1,2,3,4,5"
    assert by_size[1]["TimeZone"] == "Europe/Berlin"
    assert by_size[1]["AutoScalingGroupName"] == {"Ref": "NatGroup"}
    group = network["Resources"]["NatGroup"]
    # a later deploy must not reset the size the schedule set
    assert group["UpdatePolicy"]["AutoScalingScheduledAction"] == {"IgnoreUnmodifiedGroupSizeProperties": True}


def test_a_nat_gateway_has_no_schedule_and_without_a_schedule_nothing_is_scheduled():
    gateway = layer(render(schedule=OFFICE, network={"egress": "nat-gateway"}), "network")
    assert not resources_of(gateway, "AWS::AutoScaling::ScheduledAction")
    plain = render()
    assert not resources_of(layer(plain, "network"), "AWS::AutoScaling::ScheduledAction")
    assert "StandaloneScaling" not in layer(plain, "airflow")["Resources"]


def test_a_night_shift_wakes_on_one_day_and_sleeps_on_the_next():
    night = {"awake": ["Mon-Thu 22:00-24:00", "Tue-Fri 00:00-06:00"], "timezone": "UTC"}
    target = layer(render(schedule=night), "airflow")["Resources"]["StandaloneScaling"]
    assert {a["Schedule"] for a in target["Properties"]["ScheduledActions"]} == {
        "cron(0 22 ? * MON,TUE,WED,THU *)", "cron(0 6 ? * TUE,WED,THU,FRI *)"}


def test_a_local_environment_refuses_a_schedule_and_says_how_it_stops():
    with pytest.raises(ConfigError, match="no scheduled parking") as refused:
        render(target="local", schedule=OFFICE)
    assert "airhost down" in str(refused.value) and "ecs or eks or ec2" in str(refused.value)
