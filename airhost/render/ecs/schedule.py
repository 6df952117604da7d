"""Office hours on ECS: Application Auto Scaling scheduled actions park and wake every service.

With ``schedule`` set, every service has a scalable target (Celery worker groups already have one
for their backlog scaling; the others get one whose min and max are the service's configured
count). Each target carries the schedule's scheduled actions in the schedule's time zone: at a
sleep edge min and max go to 0, so ECS stops the service's tasks; at a wake edge they go back to the
configured bounds, and Application Auto Scaling starts tasks up to the new minimum. AWS runs the
schedule: nothing of airhost's runs in the account. The database keeps running (RDS stops for at
most seven days), and egress that bills by the hour sleeps with the services
(``airhost.render.egress``).

Manual parking composes with it: ``airhost scale --to-zero`` holds every target at 0 until the next
wake action, ``--resume`` brings the bounds back until the next sleep action, and a deploy while
asleep (its counts are the configured ones) wakes the environment until the next sleep.
"""

from __future__ import annotations

from airhost.config.models import Environment
from airhost.config.schedule import cron_edges
from airhost.render.common import Json, Template, sub

NAMESPACE, DIMENSION = "ecs", "ecs:service:DesiredCount"


def scheduled_actions(env: Environment, minimum: int | Json, maximum: int | Json) -> list[Json]:
    """The schedule's actions for one target: awake within [minimum, maximum], asleep at 0."""
    schedule = env.schedule
    if schedule is None:
        return []
    actions = []
    for number, (cron, wakes) in enumerate(cron_edges(schedule), start=1):
        bounds = {"MinCapacity": minimum, "MaxCapacity": maximum} if wakes else \
            {"MinCapacity": 0, "MaxCapacity": 0}
        actions.append({"ScheduledActionName": f"{'wake' if wakes else 'sleep'}-{number}",
                        "Schedule": cron, "Timezone": schedule.timezone,
                        "ScalableTargetAction": bounds})
    return actions


def scalable_target(template: Template, env: Environment, key: str, minimum: int | Json,
                    maximum: int | Json, description: str) -> None:
    """The scalable target ``{key}Scaling`` of service ``{key}Service``, with the schedule's actions."""
    properties: Json = {"ServiceNamespace": NAMESPACE, "ScalableDimension": DIMENSION,
                        "ResourceId": sub(f"service/${{Cluster}}/${{{key}Service.Name}}"),
                        "MinCapacity": minimum, "MaxCapacity": maximum}
    actions = scheduled_actions(env, minimum, maximum)
    if actions:
        properties["ScheduledActions"] = actions
    template.add(f"{key}Scaling", "AWS::ApplicationAutoScaling::ScalableTarget", description, properties)


def bounds_output(template: Template) -> None:
    """``ScalingBounds``: ``component=min-max,...`` for every scalable target, as deployed — what
    ``--resume`` restores when a scheduled sleep, not a manual park, stopped the services (only a
    schedule sets bounds to 0 without a parking record, so only a scheduled stack has it)."""
    pairs = []
    for key, resource in sorted(template.resources.items()):
        if resource["Type"] != "AWS::ApplicationAutoScaling::ScalableTarget":
            continue
        service = key[: -len("Scaling")]
        service_tags = template.resources[f"{service}Service"]["Properties"]["Tags"]
        component = next(tag["Value"] for tag in service_tags if tag["Key"] == "airhost:component")
        properties = resource["Properties"]
        pairs.append({"Fn::Join": ["", [f"{component}=", _text(properties["MinCapacity"]), "-",
                                        _text(properties["MaxCapacity"])]]})
    if pairs:
        template.output("ScalingBounds", {"Fn::Join": [",", pairs]},
                        "component=min-max of each autoscaled service, as configured")


def _text(value: int | Json) -> str | Json:
    return str(value) if isinstance(value, int) else value
