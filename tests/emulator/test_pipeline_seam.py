"""The deploy pipeline over the target seam, with a target of the test's own on the emulator.

The fake target has one small real stack (a count parameter and one SSM parameter resource)
and a deployment that records what the pipeline asks of it. It shows the pipeline's order —
lint → stacks → hold → migrate → start → stable → health → release — with nothing of ECS in it,
that a failing step names itself and starts nothing, and that a re-run converges.
"""

from __future__ import annotations

import pytest

from airhost.config.loader import validate_project
from airhost.deploy import deploy_environment
from airhost.ops.bootstrap import BootstrapFailed
from airhost.ops.release import read_release
from airhost.progress import Progress
from airhost.render.stacks import StackTemplate
from airhost.targets import CommandResult, ComponentState, Facts
from airhost.targets.cloud import CloudEnvironment

pytestmark = pytest.mark.emulator

COUNT = "/fake/worker-count"


def fake_stack(count: int) -> StackTemplate:
    template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "the fake target's compute: one count",
        "Parameters": {"DesiredCountWorker": {"Type": "Number", "Default": 0,
                                              "Description": "workers"}},
        "Resources": {"WorkerCount": {
            "Type": "AWS::SSM::Parameter",
            "Properties": {"Name": COUNT, "Type": "String",
                           "Value": {"Fn::Sub": "${DesiredCountWorker}"}}}},
    }
    return StackTemplate(layer="compute", name="shop-fake-compute", template=template,
                         parameters={"DesiredCountWorker": str(count)},
                         counts=("DesiredCountWorker",))


class FakeDeployment(CloudEnvironment):
    layers = ("compute",)
    compute = "compute"

    def __init__(self, env, *, migrate_exit: int = 0) -> None:
        super().__init__(env)
        self.calls: list[str] = []
        self.migrate_exit = migrate_exit
        self.count_at_migration: int | None = None

    def count(self) -> int | None:
        # The count as the stack holds it (moto does not re-apply a resource when only a
        # parameter changed, so the stack's parameter is what is read, not the SSM value).
        stack = self.cloudformation.describe("shop-fake-compute")
        return int(stack.parameters["DesiredCountWorker"]) if stack else None

    def facts(self) -> Facts:
        return Facts(image="fake:1", components=("worker",))

    def components(self) -> list[ComponentState]:
        return [ComponentState("worker", "RUNNING", desired=self.count(), running=self.count())]

    def run(self, command, progress, *, timeout, purpose="run") -> CommandResult:
        self.calls.append(" ".join(command))
        self.count_at_migration = self.count()
        code = self.migrate_exit if command == ["db", "migrate"] else 0
        return CommandResult(task_id="fake-task", exit_code=code, log_stream="-")

    def hold(self, progress) -> None:
        self.calls.append("hold")

    def start(self, progress, stacks) -> None:
        self.calls.append("start")

    def wait_stable(self, progress) -> list[ComponentState]:
        self.calls.append("stable")
        return self.components()


@pytest.fixture
def env(emulator):
    data = {"project": "shop", "region": "eu-west-1",
            "environments": {"fake": {"target": "ecs", "airflow": {"auth_manager": "simple"}}}}
    return validate_project(data, {}, root=None, source="test").environment("fake")


def test_the_pipeline_runs_its_steps_in_order_and_starts_nothing_before_the_migration(env):
    deployment, progress = FakeDeployment(env), Progress()
    summary = deploy_environment(env, "hash-1", progress, deployment=deployment,
                                 stacks=[fake_stack(3)], confirm=False)

    assert deployment.calls == ["hold", "db migrate", "start", "stable"]
    assert deployment.count_at_migration == 0  # the stack was created with its count held
    assert deployment.count() == 3  # and started at its configured count after
    text = progress.text()
    assert text.index("linting 1 templates") < text.index("creating stack shop-fake-compute") \
        < text.index("migrating the metadata database") < text.index("recording the release")
    assert summary.health["checked"] is False  # no URL: nothing to reach
    release = read_release(deployment)
    assert release is not None and release.bootstrapped and release.config_hash == "hash-1"
    assert summary.to_json()["components"][0]["desired"] == 3


def test_a_failing_migration_names_its_step_and_starts_nothing_then_a_rerun_converges(env):
    failing = FakeDeployment(env, migrate_exit=1)
    with pytest.raises(BootstrapFailed) as failure:
        deploy_environment(env, "hash-1", Progress(), deployment=failing,
                           stacks=[fake_stack(3)], confirm=False)
    assert failure.value.step == "migrate"
    assert "airflow db migrate failed with exit code 1" in str(failure.value)
    assert failing.count() == 0 and "start" not in failing.calls
    assert read_release(failing) is None

    fixed = FakeDeployment(env)
    deploy_environment(env, "hash-1", Progress(), deployment=fixed, stacks=[fake_stack(3)],
                       confirm=False)
    assert fixed.calls == ["hold", "db migrate", "start", "stable"]  # held again: never bootstrapped
    assert fixed.count() == 3

    again, progress = FakeDeployment(env), Progress()
    deploy_environment(env, "hash-1", progress, deployment=again, stacks=[fake_stack(3)],
                       confirm=False)
    # nothing changed: no hold, no migration; the target's start runs on every deploy (it
    # converges: on ECS the stacks already hold the counts, on a Helm target it is the upgrade)
    assert again.calls == ["start", "stable"]
    assert "shop-fake-compute: no changes" in progress.text()

