"""Upgrading Airflow on the emulator: the safe order, and the rollback when a step fails."""

from __future__ import annotations

import json

import boto3
import pytest

from airhost.deploy.upgrade import UpgradeFailed, upgrade_environment
from airhost.progress import Progress

pytestmark = pytest.mark.emulator

OLD, NEW = "apache/airflow:3.1.3-python3.12", "apache/airflow:3.2.0-python3.12"


def serving_image(shop) -> str:
    """The image of the task definition the standalone service runs."""
    ecs = boto3.client("ecs")
    facts = shop.aws().ecs_facts
    service = ecs.describe_services(cluster=facts.cluster,
                                    services=list(facts.services.values()))["services"][0]
    definition = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])
    return definition["taskDefinition"]["containerDefinitions"][0]["image"]


def desired_counts(shop) -> list[int]:
    facts = shop.aws().ecs_facts
    services = boto3.client("ecs").describe_services(cluster=facts.cluster,
                                                     services=list(facts.services.values()))
    return [s["desiredCount"] for s in services["services"]]


def release() -> dict:
    return json.loads(boto3.client("ssm").get_parameter(
        Name="/airhost/shop/prod/release")["Parameter"]["Value"])


def snapshots() -> list[str]:
    return [s["DBSnapshotIdentifier"] for s in boto3.client("rds").describe_db_snapshots()["DBSnapshots"]
            if s["SnapshotType"] == "manual"]


def test_upgrade_snapshots_stops_migrates_with_the_new_image_then_starts(shop, emulator, run_cli):
    shop.deploy()
    emulator.commands.clear()
    emulator.running_at_start.clear()

    result = run_cli("upgrade", "prod", "--airflow-version", "3.2.0", "--yes",
                     "--config", str(shop.root))

    assert result.exit_code == 0, result.stderr
    assert "upgraded shop-prod from Airflow 3.1.3 to 3.2.0" in result.stdout
    assert [name for name in snapshots() if "-pre-upgrade-" in name]
    # the migration ran with nothing serving, on the new task definitions
    assert emulator.commands[0] == ["db", "migrate"] and emulator.running_at_start[0] == 0
    text = result.stderr
    assert (text.index("snapshotting database") < text.index("stopping the components")
            < text.index("migrating the metadata database") < text.index("starting Airflow 3.2.0"))
    assert serving_image(shop) == NEW and desired_counts(shop) == [1]
    assert release()["airflow_version"] == "3.2.0" and release()["image"] == NEW
    assert 'set airflow.version: "3.2.0" in airhost.yaml' in result.stdout


def test_failed_migration_rolls_back_and_restores_the_pre_upgrade_snapshot(shop, emulator, run_cli):
    shop.deploy()
    before = shop.aws().ecs_facts.database_instance
    emulator.script("db migrate", exit_code=1,
                    lines=["alembic.util.exc.CommandError: Can't locate revision"])

    result = run_cli("upgrade", "prod", "--airflow-version", "3.2.0", "--yes", "--auto-restore",
                     "--config", str(shop.root))

    assert result.exit_code == 1
    error = result.stderr
    assert "upgrade of prod to Airflow 3.2.0 failed while migrating the database" in error
    assert "Can't locate revision" in error  # the task's log was streamed
    assert f"compute stack: previous release ({OLD}) serving" in error
    snapshot = next(name for name in snapshots() if "-pre-upgrade-" in name)
    after = shop.aws().ecs_facts.database_instance
    assert f"database: restored from {snapshot} into {after}" in error
    assert f"the migrated one, {before}, is kept" in error
    assert "release record: still Airflow 3.1.3" in error
    assert after != before
    assert serving_image(shop) == OLD and desired_counts(shop) == [1]
    assert release()["airflow_version"] == "3.1.3"


def test_a_declined_restore_leaves_the_previous_release_stopped(shop, emulator):
    shop.deploy()
    emulator.script("db migrate", exit_code=1, lines=["migration failed"])
    project = shop.project()
    env = project.environment("prod")
    env = env.model_copy(update={"airflow": env.airflow.model_copy(update={"version": "3.2.0"})})

    with pytest.raises(UpgradeFailed) as failure:
        upgrade_environment(env, project.config_hash, Progress(answer=False), deployment=shop.aws(),
                            confirm=False)

    text = str(failure.value)
    assert f"previous release ({OLD}), services STOPPED" in text
    assert "database: not restored — restore it with 'airhost restore prod shop-prod-pre-upgrade-" in text
    assert "office hours and autoscaling: suspended" in text and "'airhost scale prod --resume'" in text
    assert serving_image(shop) == OLD and desired_counts(shop) == [0]


def test_a_version_change_in_the_config_makes_deploy_take_the_upgrade_path(shop, emulator):
    shop.deploy()
    emulator.running_at_start.clear()
    shop.edit('version: "3.1.3"', 'version: "3.2.0"')
    progress = Progress()

    summary = shop.deploy(progress=progress)

    assert "deploying as an upgrade" in progress.text()
    assert summary["upgrade"]["from"] == "3.1.3" and summary["upgrade"]["to"] == "3.2.0"
    assert summary["upgrade"]["snapshot"] in snapshots()
    assert emulator.running_at_start[0] == 0
    assert serving_image(shop) == NEW and summary["release"]["airflow_version"] == "3.2.0"


def test_downgrade_is_refused_and_points_at_the_snapshot(shop, run_cli):
    shop.deploy()
    result = run_cli("upgrade", "prod", "--airflow-version", "3.0.6", "--yes",
                     "--config", str(shop.root))
    assert result.exit_code == 2
    assert "airhost does not downgrade" in result.stderr and "pre-upgrade" in result.stderr
    assert serving_image(shop) == OLD


def test_dry_run_lists_the_steps_and_changes_nothing(shop, emulator, run_cli):
    shop.deploy()
    emulator.commands.clear()
    result = run_cli("upgrade", "prod", "--airflow-version", "3.3.2", "--dry-run",
                     "--config", str(shop.root))

    assert result.exit_code == 0, result.stderr
    assert f"Airflow 3.1.3 → 3.3.2 (image {OLD} → apache/airflow:3.3.2-python3.12)" in result.stdout
    assert "skipping 1 minor release(s)" in result.stdout
    assert "dry run: nothing was changed" in result.stdout
    assert snapshots() == [] and emulator.commands == [] and serving_image(shop) == OLD
