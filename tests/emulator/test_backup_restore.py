"""Backups of an ECS environment on the emulator: take, list, prune, restore into a new instance."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import boto3
import pytest

from airhost.ops.backup import list_backups, restore_database, take_backup
from airhost.progress import Progress

pytestmark = pytest.mark.emulator


def instances() -> set[str]:
    return {d["DBInstanceIdentifier"] for d in boto3.client("rds").describe_db_instances()["DBInstances"]}


def test_backup_then_list_shows_it_with_label_age_and_size(shop, run_cli):
    shop.deploy()
    result = run_cli("backup", "prod", "--label", "before-cleanup", "--config", str(shop.root))

    assert result.exit_code == 0, result.stderr
    snapshot = result.stdout.split("backup ")[1].split()[0]
    assert snapshot.startswith("shop-prod-backup-") and snapshot.endswith("-before-cleanup")
    found = boto3.client("rds").describe_db_snapshots(DBSnapshotIdentifier=snapshot)["DBSnapshots"]
    assert found[0]["Status"] == "available"

    listed = run_cli("backups", "prod", "--output", "json", "--config", str(shop.root))
    rows = json.loads(listed.stdout)
    assert [row["snapshot"] for row in rows] == [snapshot]
    assert rows[0]["kind"] == "backup" and rows[0]["label"] == "before-cleanup"
    assert rows[0]["age_hours"] is not None and rows[0]["age_hours"] < 1
    assert rows[0]["size_gb"] == 20
    table = run_cli("backups", "prod", "--config", str(shop.root))
    assert snapshot in table.stdout and "20 GB" in table.stdout


def test_backups_beyond_the_configured_number_are_deleted_oldest_first(shop):
    shop.edit("    target: ecs\n  split:", "    target: ecs\n    database: {keep_backups: 2}\n  split:")
    shop.deploy()
    aws = shop.aws()
    minutes = iter(range(10))  # one backup a minute, so their names and ages differ
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    aws.clock = aws.session.clock = replace(
        aws.clock, utcnow=lambda: start + timedelta(minutes=next(minutes)))
    made = [take_backup(aws, Progress(), label=f"n{i}")["snapshot"] for i in range(3)]

    kept = {row["snapshot"] for row in list_backups(aws)}
    assert kept == set(made[1:])


def test_restore_switches_to_a_new_instance_and_keeps_the_old_until_cleanup(shop, emulator, run_cli):
    shop.deploy()
    before = shop.aws().ecs_facts.database_instance
    backup = run_cli("backup", "prod", "--config", str(shop.root))
    snapshot = backup.stdout.split("backup ")[1].split()[0]
    emulator.commands.clear()

    result = run_cli("restore", "prod", snapshot, "--yes", "--config", str(shop.root))

    assert result.exit_code == 0, result.stderr
    after = shop.aws().ecs_facts.database_instance
    assert after != before and {before, after} <= instances()
    restored = boto3.client("cloudformation").describe_stacks(StackName="shop-prod-data")
    parameters = {p["ParameterKey"]: p["ParameterValue"] for p in restored["Stacks"][0]["Parameters"]}
    assert parameters["DatabaseSnapshot"] == snapshot
    assert f"restored {snapshot} into {after}" in result.stdout
    assert f"previous database {before} kept" in result.stdout
    # migrated before anything started again, and the service runs again
    assert emulator.commands[0] == ["db", "migrate"] and emulator.running_at_start[0] == 0
    services = shop.aws().ecs.describe_services(shop.aws().ecs_facts.cluster,
                                                list(shop.aws().ecs_facts.services.values()))
    assert [s.desired for s in services.values()] == [1]

    # a later deploy keeps the restored database (CloudFormation needs the same snapshot id)
    shop.deploy()
    assert shop.aws().ecs_facts.database_instance == after

    cleanup = run_cli("restore", "prod", "--cleanup", "--yes", "--config", str(shop.root))
    assert cleanup.exit_code == 0, cleanup.stderr
    assert before not in instances() and after in instances()
    assert f"deleted {before}" in cleanup.stdout


def test_restore_refuses_another_environments_snapshot(shop, run_cli):
    shop.deploy()
    shop.deploy("split")
    other = take_backup(shop.aws("split"), Progress())["snapshot"]

    result = run_cli("restore", "prod", other, "--yes", "--config", str(shop.root))

    assert result.exit_code == 2
    assert "is a backup of shop-split, not shop-prod" in result.stderr
    assert "Fernet key" in result.stderr


def test_restore_of_an_unknown_snapshot_says_how_to_list_them(shop, run_cli):
    shop.deploy()
    result = run_cli("restore", "prod", "nope", "--yes", "--config", str(shop.root))
    assert result.exit_code == 2
    assert "snapshot nope does not exist" in result.stderr and "airhost backups prod" in result.stderr


def test_restore_through_the_api_stops_services_during_the_switch(shop, emulator):
    shop.deploy()
    aws = shop.aws()
    snapshot = take_backup(aws, Progress())["snapshot"]
    progress = Progress()
    summary = restore_database(aws, snapshot, progress, confirm=False)

    text = progress.text()
    assert text.index("scaling standalone") < text.index("creating a new database from")
    assert {c["component"]: c["desired"] for c in summary["components"]} == {"standalone": 1}
