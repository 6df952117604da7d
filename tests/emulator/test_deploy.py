"""Deploying an ECS environment end to end against the emulator."""

from __future__ import annotations

import boto3
import pytest

from airhost.aws.errors import StackFailed
from airhost.errors import Aborted
from airhost.ops.bootstrap import BootstrapFailed
from airhost.progress import Progress
from tests.emulator.moto_services import crash_loop

pytestmark = pytest.mark.emulator

STACKS = ["shop-prod-network", "shop-prod-data", "shop-prod-airflow"]


def stack_statuses() -> dict[str, str]:
    cloudformation = boto3.client("cloudformation")
    return {s["StackName"]: s["StackStatus"] for s in cloudformation.describe_stacks()["Stacks"]}


def test_first_deploy_creates_stacks_migrates_then_starts_services(shop, emulator):
    progress = Progress()
    summary = shop.deploy(progress=progress)

    assert [s["action"] for s in summary["stacks"]] == ["created", "created", "created", "updated"]
    assert set(STACKS) <= set(stack_statuses())
    # the migration ran before anything was started, then the admin user, with no password in sight
    assert emulator.commands[0] == ["db", "migrate"]
    assert "users create" in emulator.commands[1][-1]
    assert "$AIRHOST_ADMIN_PASSWORD" in emulator.commands[1][-1]
    assert "Database migrating done!" in progress.text()
    assert emulator.running_at_start == [0, 0]
    standalone = {c["component"]: c for c in summary["components"]}["standalone"]
    assert standalone["desired"] == 1 and standalone["running"] == 1
    # the data stack is protected; the release is recorded
    data = boto3.client("cloudformation").describe_stacks(StackName="shop-prod-data")["Stacks"][0]
    assert data["EnableTerminationProtection"] is True
    release = summary["release"]
    assert release["config_hash"] == shop.project().config_hash
    assert release["airflow_version"] == "3.1.3"
    assert release["image"] == "apache/airflow:3.1.3-python3.12"
    stored = boto3.client("ssm").get_parameter(Name="/airhost/shop/prod/release")["Parameter"]
    assert '"config_hash"' in stored["Value"]


def test_redeploy_without_changes_changes_nothing_and_runs_no_task(shop, emulator):
    shop.deploy()
    emulator.commands.clear()
    progress = Progress()
    summary = shop.deploy(progress=progress)

    assert summary["changed"] is False
    assert {s["action"] for s in summary["stacks"]} == {"unchanged"}
    assert "shop-prod-network: no changes" in progress.text()
    assert emulator.commands == []
    assert summary["release"]["version"] == 2


def test_deploy_of_a_changed_config_updates_only_the_airflow_stack(shop, emulator):
    shop.deploy()
    emulator.commands.clear()
    shop.edit('airflow: {version: "3.1.3", python: "3.12"}',
              'airflow: {version: "3.1.3", python: "3.12", config: {core: {parallelism: 64}}}')
    summary = shop.deploy()

    # Every template carries the config hash in its Metadata. AWS ignores a Metadata-only change
    # (an empty change set); moto executes it with no resource change: count resource changes.
    changes = {s["stack"]: s["changes"] for s in summary["stacks"]}
    assert changes["shop-prod-network"] == 0 and changes["shop-prod-data"] == 0
    assert changes["shop-prod-airflow"] > 0
    assert emulator.commands[0] == ["db", "migrate"]  # a new config may be a new Airflow: migrate
    assert summary["release"]["config_hash"] == shop.project().config_hash


def test_split_topology_starts_every_component_at_its_count(shop):
    summary = shop.deploy("split")

    counts = {c["component"]: c["desired"] for c in summary["components"]}
    assert counts == {"api-server": 1, "scheduler": 2, "dag-processor": 1, "triggerer": 1}


def test_failed_update_names_the_resource_and_keeps_the_previous_release(shop, emulator):
    first = shop.deploy()
    shop.edit("split:\n    target: ecs", "split:\n    target: ecs\n    logs: {retention_days: 7}")
    shop.edit('python: "3.12"}', 'python: "3.12", config: {core: {parallelism: 8}}}')
    emulator.fail_next_execution("shop-prod-airflow", "StandaloneService",
                                 "Resource handler returned message: Invalid request provided")
    with pytest.raises(StackFailed) as failure:
        shop.deploy()

    assert failure.value.resource == "StandaloneService"
    assert "Invalid request provided" in str(failure.value)
    assert "UPDATE_ROLLBACK_COMPLETE" in str(failure.value)
    assert "previous version keeps serving" in str(failure.value)
    release = boto3.client("ssm").get_parameter(Name="/airhost/shop/prod/release")
    assert first["release"]["config_hash"] in release["Parameter"]["Value"]


def test_failed_first_create_is_reported_then_a_rerun_starts_over(shop, emulator):
    emulator.fail_next_execution("shop-prod-network", "NatGateway",
                                 "The maximum number of addresses has been reached")
    with pytest.raises(StackFailed) as failure:
        shop.deploy()
    assert failure.value.resource == "NatGateway"
    assert stack_statuses()["shop-prod-network"] == "ROLLBACK_COMPLETE"

    progress = Progress()
    summary = shop.deploy(progress=progress)
    assert "first create never completed, deleting it" in progress.text()
    assert summary["stacks"][0]["action"] == "created"


def test_failing_migration_stops_before_any_service_starts(shop, emulator):
    emulator.script("db migrate", exit_code=1,
                    lines=["sqlalchemy.exc.OperationalError: could not connect to server"])
    progress = Progress()
    with pytest.raises(BootstrapFailed) as failure:
        shop.deploy(progress=progress)

    assert "exit code 1" in str(failure.value)
    assert "could not connect to server" in progress.text()
    services = boto3.client("ecs").describe_services(
        cluster=shop.aws().ecs_facts.cluster, services=list(shop.aws().ecs_facts.services.values()))
    assert [s["desiredCount"] for s in services["services"]] == [0]
    with pytest.raises(Exception):
        boto3.client("ssm").get_parameter(Name="/airhost/shop/prod/release")


def test_rerun_after_a_failed_migration_still_migrates_before_starting(shop, emulator):
    emulator.script("db migrate", exit_code=1, lines=["could not connect to server"])
    with pytest.raises(BootstrapFailed):
        shop.deploy()
    emulator.script("db migrate", lines=["Database migrating done!"])
    summary = shop.deploy()

    assert emulator.commands[-2] == ["db", "migrate"]
    assert emulator.running_at_start[-2] == 0  # nothing started before the migration
    assert {c["component"]: c["running"] for c in summary["components"]} == {"standalone": 1}


def test_interrupting_a_first_create_offers_to_delete_it(shop):
    class Interrupting(Progress):  # Ctrl-C while the first stack's events stream
        interrupted = False

        def stack_event(self, event):
            if not self.interrupted:
                self.interrupted = True
                raise KeyboardInterrupt
            super().stack_event(event)

    progress = Interrupting(answer=True)
    with pytest.raises(Aborted) as aborted:
        shop.deploy(progress=progress)

    assert "the stack was deleted" in str(aborted.value)
    assert any("delete what was created" in q for q in progress.questions)
    assert "shop-prod-network" not in stack_statuses()


def test_declining_a_change_set_changes_nothing(shop):
    from airhost.deploy import deploy_environment

    project = shop.project()
    with pytest.raises(Aborted):
        deploy_environment(project.environment("prod"), project.config_hash,
                           Progress(answer=False), confirm=True)
    assert "shop-prod-network" not in stack_statuses()


def test_an_update_rolled_back_by_the_circuit_breaker_names_the_component_and_its_error(
        shop, emulator):
    shop.deploy()
    facts = shop.aws("prod").ecs_facts
    shop.edit('python: "3.12"}', 'python: "3.12", config: {core: {parallelism: 8}}}')

    def tasks_exit():
        crash_loop("eu-west-1", facts.cluster, facts.services["standalone"], tasks=3, exit_code=1,
                   lines=["ModuleNotFoundError: No module named 'pandas'"],
                   log_group=facts.log_group, stream_prefix="standalone",
                   container=facts.container)

    emulator.fail_next_execution(
        "shop-prod-airflow", "StandaloneService", "Resource handler returned message: \"Error "
        "occurred during operation 'ECS Deployment Circuit Breaker was triggered'.\"",
        meanwhile=tasks_exit)
    with pytest.raises(StackFailed) as failure:
        shop.deploy()

    said = str(failure.value)
    assert "Circuit Breaker was triggered" in said  # CloudFormation's event, as before
    assert "standalone exits at start: 3 of its tasks stopped during the update" in said
    assert "exit code 1: Essential container in task exited" in said
    assert "No module named 'pandas'" in said
    assert "previous version keeps serving" in said and "airhost logs prod standalone" in said
