"""The office hours of an EC2 environment: a scheduled action per group for each wake and sleep.

With ``schedule`` set, each Auto Scaling group gets an ``AWS::AutoScaling::ScheduledAction`` for
every instant the schedule wakes (the group's own bounds: its configured count, a worker group its
min and max) and every instant it sleeps (0, 0, 0), in the schedule's time zone. EC2 Auto Scaling
runs them itself, so nothing of airhost needs to be awake at the edges. The bounds are the group's
``DesiredCount`` parameter, so a stack held at 0 (a first deploy before its migration, an upgrade)
wakes to 0 too. Recurrences are five-field Unix cron (``recurrence_edges``).

The network stack parks a NAT instance on the same schedule, a little wider
(``airhost.render.egress``); a NAT gateway and the database keep running, as ``airhost cost``
counts them.
"""

from __future__ import annotations

from airhost.config.ec2 import ResolvedGroup
from airhost.config.models import Environment
from airhost.config.schedule import recurrence_edges
from airhost.render.common import Json, Template, ref


def scheduled_actions(template: Template, env: Environment, group: ResolvedGroup, key: str,
                      count: str) -> None:
    """The group's wake and sleep actions (``key``: its resources' prefix; ``count``: its
    DesiredCount parameter)."""
    if env.schedule is None:
        return
    wakes = sleeps = 0
    for recurrence, wakes_up in recurrence_edges(env.schedule):
        if wakes_up:
            wakes += 1
            name, what = f"{key}Wake{wakes}", "wakes"
            bounds: Json = {"MinSize": ref(count), "DesiredCapacity": ref(count),
                            "MaxSize": group.maximum if group.queue else ref(count)}
        else:
            sleeps += 1
            name, what = f"{key}Sleep{sleeps}", "parks"
            bounds = {"MinSize": 0, "MaxSize": 0, "DesiredCapacity": 0}
        template.add(name, "AWS::AutoScaling::ScheduledAction",
                     f"{what} group {group.name} at '{recurrence}' ({env.schedule.timezone})", {
                         "AutoScalingGroupName": ref(f"{key}Group"), "Recurrence": recurrence,
                         "TimeZone": env.schedule.timezone, **bounds})
