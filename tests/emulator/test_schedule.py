"""Office hours on the emulator: the scheduled actions AWS would run, and waking or sleeping early.

moto stores scheduled actions but never runs them; what an action does at its time (min and max to
0, or back) is done here by hand with the same API calls AWS's schedulers make — and, as AWS does,
not at all while the target's scheduled scaling is suspended.
"""

from __future__ import annotations

import json

import boto3
import pytest

pytestmark = pytest.mark.emulator

OFFICE = """\
  office:
    target: ecs
    schedule: {awake: ["Mon-Fri 07:00-20:00"], timezone: Europe/Berlin}
"""
WEEKDAYS = "MON,TUE,WED,THU,FRI"


@pytest.fixture
def office(shop):
    shop.edit("environments:\n", "environments:\n" + OFFICE)
    shop.deploy("office")
    return shop


def service_target(shop) -> str:
    facts = shop.aws("office").ecs_facts
    return f"service/{facts.cluster}/{facts.services['standalone']}"


def nat_group(shop) -> str:
    return shop.aws("office").outputs("network")["NatGroupName"]


def bounds(target: str) -> tuple[int, int]:
    found = boto3.client("application-autoscaling").describe_scalable_targets(
        ServiceNamespace="ecs", ResourceIds=[target])["ScalableTargets"][0]
    return found["MinCapacity"], found["MaxCapacity"]


def group_size(name: str) -> tuple[int, int, int]:
    group = boto3.client("autoscaling").describe_auto_scaling_groups(
        AutoScalingGroupNames=[name])["AutoScalingGroups"][0]
    return group["MinSize"], group["MaxSize"], group["DesiredCapacity"]


def desired(shop) -> int:
    facts = shop.aws("office").ecs_facts
    return boto3.client("ecs").describe_services(
        cluster=facts.cluster, services=[facts.services["standalone"]])["services"][0]["desiredCount"]


def sleep_as_scheduled(shop) -> None:
    """What the 20:00 actions do on AWS: the service's bounds and the NAT group to zero."""
    target = service_target(shop)
    boto3.client("application-autoscaling").register_scalable_target(
        ServiceNamespace="ecs", ResourceId=target, ScalableDimension="ecs:service:DesiredCount",
        MinCapacity=0, MaxCapacity=0)
    facts = shop.aws("office").ecs_facts
    boto3.client("ecs").update_service(cluster=facts.cluster, service=facts.services["standalone"],
                                       desiredCount=0)
    boto3.client("autoscaling").update_auto_scaling_group(
        AutoScalingGroupName=nat_group(shop), MinSize=0, MaxSize=0, DesiredCapacity=0)


def test_the_deployed_service_and_nat_carry_the_schedules_actions(office):
    actions = boto3.client("application-autoscaling").describe_scheduled_actions(
        ServiceNamespace="ecs", ResourceId=service_target(office))["ScheduledActions"]
    by_schedule = {a["Schedule"]: a for a in actions}
    assert set(by_schedule) == {f"cron(0 7 ? * {WEEKDAYS} *)", f"cron(0 20 ? * {WEEKDAYS} *)"}
    assert {a["Timezone"] for a in actions} == {"Europe/Berlin"}
    wake = by_schedule[f"cron(0 7 ? * {WEEKDAYS} *)"]["ScalableTargetAction"]
    sleep = by_schedule[f"cron(0 20 ? * {WEEKDAYS} *)"]["ScalableTargetAction"]
    assert (wake["MinCapacity"], wake["MaxCapacity"]) == (1, 1)  # the configured count, once deployed
    assert (sleep["MinCapacity"], sleep["MaxCapacity"]) == (0, 0)
    assert bounds(service_target(office)) == (1, 1)

    nat = boto3.client("autoscaling").describe_scheduled_actions(
        AutoScalingGroupName=nat_group(office))["ScheduledUpdateGroupActions"]
    assert {(a["Recurrence"], a["DesiredCapacity"], a["TimeZone"]) for a in nat} == {
        ("50 6 * * 1,2,3,4,5", 1, "Europe/Berlin"), ("10 20 * * 1,2,3,4,5", 0, "Europe/Berlin")}


def test_resume_wakes_early_after_a_scheduled_sleep_nat_first(office, run_cli):
    sleep_as_scheduled(office)
    assert desired(office) == 0 and group_size(nat_group(office)) == (0, 0, 0)

    resumed = run_cli("scale", "office", "--resume", "--config", str(office.root), "-o", "json")
    assert resumed.exit_code == 0, resumed.stderr
    assert {s["desired"] for s in json.loads(resumed.stdout)} == {1}
    # the bounds come back too, or the next scaling activity would clamp the service to 0 again
    assert bounds(service_target(office)) == (1, 1)
    # the network stack's Egress parameter still says running: the group itself is sized
    assert group_size(nat_group(office)) == (1, 1, 1)
    assert resumed.stderr.index("egress of office: running") < resumed.stderr.index("scaling standalone")


def test_to_zero_sleeps_early_and_leaves_the_wake_action_in_place(office, run_cli):
    parked = run_cli("scale", "office", "--to-zero", "--config", str(office.root))
    assert parked.exit_code == 0, parked.stderr
    assert desired(office) == 0 and bounds(service_target(office)) == (0, 0)
    assert group_size(nat_group(office)) == (0, 0, 0)
    actions = boto3.client("application-autoscaling").describe_scheduled_actions(
        ServiceNamespace="ecs", ResourceId=service_target(office))["ScheduledActions"]
    assert any(a["ScalableTargetAction"]["MinCapacity"] == 1 for a in actions)  # wakes it next morning


def test_status_shows_the_schedule_and_its_next_change(office, run_cli):
    from airhost.config.schedule import ScheduleSettings
    from datetime import datetime

    shown = run_cli("status", "office", "--config", str(office.root), "-o", "json")
    assert shown.exit_code == 0, shown.stderr
    schedule = json.loads(shown.stdout)["schedule"]
    assert schedule["awake"] == ["Mon-Fri 07:00-20:00"] and schedule["timezone"] == "Europe/Berlin"
    settings = ScheduleSettings(awake=schedule["awake"], timezone="Europe/Berlin")
    at = datetime.fromisoformat(schedule["next"]["at"])
    assert schedule["next"]["wakes"] is not schedule["awake_now"]
    assert settings.is_awake(at) is schedule["next"]["wakes"]  # it is an edge of the schedule
    assert at.strftime("%H:%M") in ("07:00", "20:00")
    table = run_cli("status", "office", "--config", str(office.root))
    assert "schedule: awake Mon-Fri 07:00-20:00 (Europe/Berlin)" in table.stdout


def edge_as_scheduled(target: str, kind: str) -> bool:
    """What Application Auto Scaling does at an edge of the schedule: the target's ``kind``
    action ("wake" or "sleep") sets its bounds and moves the service's count into them — unless
    the target's scheduled scaling is suspended, when AWS runs no scheduled action (False)."""
    scaling = boto3.client("application-autoscaling")
    found = scaling.describe_scalable_targets(ServiceNamespace="ecs", ResourceIds=[target])
    if (found["ScalableTargets"][0].get("SuspendedState") or {}).get("ScheduledScalingSuspended"):
        return False
    actions = scaling.describe_scheduled_actions(ServiceNamespace="ecs", ResourceId=target)
    action = next(a for a in actions["ScheduledActions"] if a["ScheduledActionName"].startswith(kind))
    low, high = (action["ScalableTargetAction"][key] for key in ("MinCapacity", "MaxCapacity"))
    scaling.register_scalable_target(ServiceNamespace="ecs", ResourceId=target,
                                     ScalableDimension="ecs:service:DesiredCount",
                                     MinCapacity=low, MaxCapacity=high)
    _, cluster, service = target.split("/")
    ecs = boto3.client("ecs")
    count = ecs.describe_services(cluster=cluster, services=[service])["services"][0]["desiredCount"]
    ecs.update_service(cluster=cluster, service=service, desiredCount=min(max(count, low), high))
    return True


def test_a_wake_while_a_restore_switches_the_database_starts_nothing(office, emulator):
    from airhost.ops.backup import restore_database, take_backup
    from airhost.progress import Progress

    aws = office.aws("office")
    target = service_target(office)
    snapshot = take_backup(aws, Progress())["snapshot"]
    emulator.commands.clear()
    emulator.running_at_start.clear()
    woke: list[bool] = []
    emulator.script("db migrate", lines=["Database migrating done!"],
                    meanwhile=lambda: woke.append(edge_as_scheduled(target, "wake")))

    progress = Progress()
    restore_database(aws, snapshot, progress, confirm=False)

    # the 07:00 action came while the new database was being migrated: AWS ran nothing
    assert woke == [False]
    assert emulator.commands[0] == ["db", "migrate"] and emulator.running_at_start[0] == 0
    text = progress.text()
    assert text.index("scaling of") < text.index("creating a new database from")
    # afterwards the schedule acts again: the evening's sleep parks it, the morning wakes it
    assert desired(office) == 1
    assert edge_as_scheduled(target, "sleep") and desired(office) == 0
    assert edge_as_scheduled(target, "wake") and desired(office) == 1


def test_an_upgrade_that_leaves_the_release_stopped_keeps_the_schedule_suspended(office, emulator,
                                                                                 run_cli):
    from airhost.deploy.upgrade import UpgradeFailed, upgrade_environment
    from airhost.progress import Progress

    target = service_target(office)
    emulator.script("db migrate", exit_code=1, lines=["migration failed"])
    env = office.project().environment("office")
    env = env.model_copy(update={"airflow": env.airflow.model_copy(update={"version": "3.2.0"})})
    with pytest.raises(UpgradeFailed) as failure:  # the snapshot's restore declined
        upgrade_environment(env, office.project().config_hash, Progress(answer=False),
                            deployment=office.aws("office"), confirm=False)
    assert "office hours and autoscaling: suspended" in str(failure.value)

    # the morning's wake would start the previous release on a database that may hold the new schema
    assert not edge_as_scheduled(target, "wake") and desired(office) == 0
    shown = run_cli("status", "office", "--config", str(office.root), "-o", "json")
    assert json.loads(shown.stdout)["scaling_suspended"] == [target.rsplit("/", 1)[-1]]
    table = run_cli("status", "office", "--config", str(office.root))
    assert "office hours and autoscaling SUSPENDED" in table.stdout
    assert "'airhost scale office --resume'" in table.stdout

    resumed = run_cli("scale", "office", "--resume", "--config", str(office.root), "-o", "json")
    assert resumed.exit_code == 0, resumed.stderr
    assert json.loads(run_cli("status", "office", "--config", str(office.root),
                              "-o", "json").stdout)["scaling_suspended"] == []
    assert edge_as_scheduled(target, "sleep") and desired(office) == 0
