"""Office hours on EC2: the schedule as Unix cron, and a wake and a sleep action per group."""

from __future__ import annotations

from airhost.config.loader import validate_project
from airhost.config.schedule import ScheduleSettings, recurrence_edges
from airhost.render.ec2.compute import render_compute


def test_recurrences_are_five_field_unix_cron_with_sunday_zero():
    night = ScheduleSettings(awake=["Mon-Fri 22:00-24:00", "Tue-Sat 00:00-06:00", "Sun 10:00-12:30"])
    assert recurrence_edges(night) == [
        ("0 10 * * 0", True),  # Sunday is 0, as Unix cron numbers it
        ("0 22 * * 1,2,3,4,5", True),
        ("0 6 * * 2,3,4,5,6", False),  # no edge at midnight: the night runs on into the next day
        ("30 12 * * 0", False),
    ]
    late = ScheduleSettings(awake=["Fri 20:00-24:00"])
    assert recurrence_edges(late) == [("0 20 * * 5", True), ("0 0 * * 6", False)]


def celery_on_office_hours():
    project = validate_project({"project": "hosts", "environments": {"split": {
        "target": "ec2", "region": "eu-west-1", "airflow": {"executor": "celery"},
        "workers": {"min": 1, "max": 4},
        "ec2": {"topology": "split"},
        "schedule": {"awake": ["Mon-Fri 08:00-18:00"], "timezone": "America/New_York"}}}},
        {}, root=None, source="test")
    return project.environment("split")


def test_each_group_wakes_to_its_own_bounds_and_sleeps_at_zero():
    env = celery_on_office_hours()
    template = render_compute(env, "test").template
    actions = {name: r["Properties"] for name, r in template["Resources"].items()
               if r["Type"] == "AWS::AutoScaling::ScheduledAction"}
    groups = {"ApiServer", "Scheduler", "DagProcessor", "Triggerer", "Worker"}
    assert set(actions) == {f"{g}{edge}1" for g in groups for edge in ("Wake", "Sleep")}
    worker = actions["WorkerWake1"]
    assert worker == {"AutoScalingGroupName": {"Ref": "WorkerGroup"}, "Recurrence": "0 8 * * 1,2,3,4,5",
                      "TimeZone": "America/New_York", "MinSize": {"Ref": "DesiredCountWorker"},
                      "DesiredCapacity": {"Ref": "DesiredCountWorker"}, "MaxSize": 4}
    assert actions["SchedulerWake1"]["MaxSize"] == {"Ref": "DesiredCountScheduler"}
    assert all(actions[f"{g}Sleep1"]["Recurrence"] == "0 18 * * 1,2,3,4,5" and
               (actions[f"{g}Sleep1"]["MinSize"], actions[f"{g}Sleep1"]["MaxSize"],
                actions[f"{g}Sleep1"]["DesiredCapacity"]) == (0, 0, 0) for g in groups)


def test_no_schedule_no_action():
    env = celery_on_office_hours().model_copy(update={"schedule": None})
    template = render_compute(env, "test").template
    assert not [r for r in template["Resources"].values()
                if r["Type"] == "AWS::AutoScaling::ScheduledAction"]
