"""Operating a deployed environment on the emulator: run, status, logs, scale."""

from __future__ import annotations

import json
import time

import boto3
import pytest

from airhost.ops.status import environment_status, format_status
from tests.emulator.moto_services import crash_loop

pytestmark = pytest.mark.emulator


@pytest.fixture
def deployed(shop):
    shop.deploy()
    return shop


def status_of(project, name: str = "prod", **options) -> dict:
    return environment_status(project.aws(name), **options).to_json()


def by_component(states: list[dict]) -> dict[str, dict]:
    return {state["component"]: state for state in states}


def show_logs(deployment, component, *, since="10m", follow=False, filter=None, echo=print):
    return deployment.read_logs(component, since=since, follow=follow, pattern=filter, lines=50,
                           echo=echo)


def test_run_streams_the_task_log_and_exits_zero(deployed, emulator, run_cli):
    emulator.script("dags list", lines=["dag_id       | fileloc", "example_etl  | /dags/etl.py"])
    result = run_cli("run", "prod", "--config", str(deployed.root), "--", "airflow", "dags", "list")

    assert result.exit_code == 0
    assert "example_etl  | /dags/etl.py" in result.stdout
    assert emulator.commands[-1] == ["dags", "list"]  # the image's entrypoint adds "airflow"


def test_run_returns_the_commands_exit_code(deployed, emulator, run_cli):
    emulator.script("tasks test", exit_code=2, lines=["Task failed: division by zero"])
    result = run_cli("run", "prod", "--config", str(deployed.root), "--", "tasks", "test",
                     "etl", "load")

    assert result.exit_code == 2
    assert "division by zero" in result.stdout


def test_run_as_json_reports_the_task(deployed, emulator, run_cli):
    emulator.script("version", lines=["3.1.3"])
    result = run_cli("run", "prod", "--config", str(deployed.root), "--output", "json", "--",
                     "version")

    data = json.loads(result.stdout)
    assert data["exit_code"] == 0
    assert data["log_stream"] == f"utils/airflow/{data['task_id']}"


def test_status_reports_stacks_release_services_and_database(deployed):
    status = status_of(deployed)

    assert status["deployed"] is True and status["target"] == "ecs"
    assert [s["status"] for s in status["stacks"]] == ["CREATE_COMPLETE", "CREATE_COMPLETE",
                                                       "UPDATE_COMPLETE"]
    assert by_component(status["components"])["standalone"]["desired"] == 1
    assert status["database"]["status"] == "available"
    assert status["release"]["config_hash"] == deployed.project().config_hash
    assert status["health"]["checked"] is False  # private access: not reachable from here
    assert status["password"] is None
    json.dumps(status)  # a script can read it
    shown = status_of(deployed, show_password=True)
    assert shown["username"] == "admin" and len(shown["password"]) >= 16


def test_status_of_an_environment_never_deployed(shop):
    result = environment_status(shop.aws("split"))
    status = result.to_json()

    assert status["deployed"] is False
    assert {s["status"] for s in status["stacks"]} == {"NOT_DEPLOYED"}
    from rich.console import Console

    console = Console(record=True, width=120)
    console.print(format_status(result))
    assert "not deployed in eu-west-1" in console.export_text()


def _log(group: str, stream: str, lines: list[str]) -> None:
    logs = boto3.client("logs")
    logs.create_log_stream(logGroupName=group, logStreamName=stream)
    now = int(time.time() * 1000)
    logs.put_log_events(logGroupName=group, logStreamName=stream,
                        logEvents=[{"timestamp": now + i, "message": m} for i, m in enumerate(lines)])


def test_logs_of_one_component_and_with_a_filter(deployed):
    env = deployed.aws()
    group = env.ecs_facts.log_group
    _log(group, "standalone/airflow/task1", ["scheduler started", "ERROR dag import failed"])
    _log(group, "utils/airflow/task2", ["Database migrating done!"])

    lines: list[str] = []
    assert show_logs(env, "standalone", since="10m", echo=lines.append) == 2
    assert "standalone" in lines[0] and "scheduler started" in lines[0]

    everything: list[str] = []
    show_logs(env, None, since="1h", echo=everything.append)
    assert any("Database migrating done!" in line for line in everything)

    errors: list[str] = []
    show_logs(env, None, filter="ERROR", echo=errors.append)
    assert len(errors) == 1 and "dag import failed" in errors[0]


def test_logs_of_an_unknown_component_names_the_known_ones(deployed):
    from airhost.errors import UsageError

    with pytest.raises(UsageError, match="its components: standalone, utils"):
        show_logs(deployed.aws(), "webserver")


def test_scale_a_component_and_reject_an_unknown_one(shop, run_cli):
    shop.deploy("split")
    result = run_cli("scale", "split", "scheduler=3", "--config", str(shop.root), "-o", "json")
    assert result.exit_code == 0, result.stderr
    assert by_component(json.loads(result.stdout))["scheduler"]["desired"] == 3

    result = run_cli("scale", "split", "worker=3", "--config", str(shop.root))
    assert result.exit_code == 2
    assert "no component worker" in result.stderr and "api-server" in result.stderr


def test_park_at_zero_then_resume_the_counts_that_ran(shop, run_cli):
    shop.deploy("split")
    run_cli("scale", "split", "scheduler=3", "--config", str(shop.root))

    parked = run_cli("scale", "split", "--to-zero", "--config", str(shop.root), "-o", "json")
    assert {s["desired"] for s in json.loads(parked.stdout)} == {0}
    assert status_of(shop, "split")["parked"] is True

    resumed = run_cli("scale", "split", "--resume", "--config", str(shop.root), "-o", "json")
    counts = {s["component"]: s["desired"] for s in json.loads(resumed.stdout)}
    assert counts == {"api-server": 1, "scheduler": 3, "dag-processor": 1, "triggerer": 1}
    assert status_of(shop, "split")["parked"] is False


def test_parking_holds_autoscaling_at_zero_and_resume_restores_it(shop):
    from airhost.progress import Progress

    shop.deploy("split")
    aws = shop.aws("split")
    # moto's CloudFormation does not create scalable targets: register the worker-like one by hand
    target = f"service/{aws.ecs_facts.cluster}/{aws.ecs_facts.services['scheduler']}"
    scaling = boto3.client("application-autoscaling")
    scaling.register_scalable_target(ServiceNamespace="ecs", ResourceId=target,
                                     ScalableDimension="ecs:service:DesiredCount",
                                     MinCapacity=1, MaxCapacity=8)

    def bounds() -> tuple[int, int]:
        found = scaling.describe_scalable_targets(ServiceNamespace="ecs", ResourceIds=[target])
        return found["ScalableTargets"][0]["MinCapacity"], found["ScalableTargets"][0]["MaxCapacity"]

    aws.park(Progress())
    assert bounds() == (0, 0)
    aws.resume(Progress())
    assert bounds() == (1, 8)


def test_following_logs_ends_quietly_on_ctrl_c(deployed):
    from airhost.aws.session import Clock
    from airhost.targets.ecs import EcsDeployment

    def interrupt(seconds: float) -> None:
        raise KeyboardInterrupt

    env = deployed.project().environment("prod")
    _log(deployed.aws().ecs_facts.log_group, "standalone/airflow/t1", ["scheduler heartbeat"])
    lines: list[str] = []
    aws = EcsDeployment(env, clock=Clock(sleep=interrupt, poll_seconds=0))
    assert show_logs(aws, "standalone", follow=True, echo=lines.append) == 1


def egress_of(shop, name: str = "prod") -> str:
    stack = boto3.client("cloudformation").describe_stacks(StackName=f"shop-{name}-network")["Stacks"][0]
    return {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}["Egress"]


def test_parking_parks_the_nat_and_resume_brings_it_back_first(deployed, run_cli):
    parked = run_cli("scale", "prod", "--to-zero", "--config", str(deployed.root))
    assert parked.exit_code == 0, parked.stdout
    assert egress_of(deployed) == "parked"
    assert parked.stderr.index("scaling standalone") < parked.stderr.index("egress of prod: parked")

    resumed = run_cli("scale", "prod", "--resume", "--config", str(deployed.root))
    assert resumed.exit_code == 0, resumed.stdout
    assert egress_of(deployed) == "running"
    assert resumed.stderr.index("egress of prod: running") < resumed.stderr.index("scaling standalone")
    assert status_of(deployed)["parked"] is False


def test_parking_removes_the_nat_gateway(shop, run_cli):
    shop.edit("  prod:\n    target: ecs\n", "  prod:\n    target: ecs\n    network: {egress: nat-gateway}\n")
    shop.deploy()
    ec2 = boto3.client("ec2")
    assert [g for g in ec2.describe_nat_gateways()["NatGateways"] if g["State"] == "available"]
    assert run_cli("scale", "prod", "--to-zero", "--config", str(shop.root)).exit_code == 0
    assert egress_of(shop) == "parked"
    # moto's stack update does not re-evaluate Conditions, so the gateway stays in the emulator;
    # that the parked parameter removes it is pinned on the template (tests/render/test_egress.py).
    assert run_cli("scale", "prod", "--resume", "--config", str(shop.root)).exit_code == 0
    assert egress_of(shop) == "running"


def test_resume_after_a_park_that_failed_on_the_network(deployed, emulator, run_cli):
    emulator.fail_next_execution("shop-prod-network", "NatGroup", "Resource limit exceeded")
    failed = run_cli("scale", "prod", "--to-zero", "--config", str(deployed.root))
    assert failed.exit_code != 0 and "NatGroup" in failed.stderr
    assert egress_of(deployed) == "running"  # rolled back: egress still up, services at zero
    assert status_of(deployed)["parked"] is True

    resumed = run_cli("scale", "prod", "--resume", "--config", str(deployed.root), "-o", "json")
    assert resumed.exit_code == 0, resumed.stdout
    assert {s["desired"] for s in json.loads(resumed.stdout)} == {1}
    assert egress_of(deployed) == "running" and status_of(deployed)["parked"] is False


def test_a_service_whose_tasks_stop_at_start_is_named_with_its_reason_and_last_lines(
        deployed, run_cli):
    aws = deployed.aws("prod")
    facts = aws.ecs_facts
    crash_loop("eu-west-1", facts.cluster, facts.services["standalone"], tasks=3, exit_code=1,
               lines=["Traceback (most recent call last):",
                      "airflow.exceptions.AirflowConfigException: error: cannot use SQLite"],
               log_group=facts.log_group, stream_prefix="standalone", container=facts.container)

    standalone = by_component(status_of(deployed)["components"])["standalone"]
    assert standalone["state"] == "CRASH_LOOP" and standalone["restarts"] == 3
    shown = run_cli("status", "prod", "--config", str(deployed.root))
    assert "CRASH_LOOP" in shown.stdout

    # a wait for the service ends at once, with the component, ECS's reason and the task's lines
    waited = run_cli("scale", "prod", "standalone=1", "--config", str(deployed.root))
    assert waited.exit_code == 1, waited.stderr + waited.stdout
    assert "standalone exits at start: ECS has stopped 3 of its tasks" in waited.stderr
    assert "exit code 1: Essential container in task exited" in waited.stderr
    assert "AirflowConfigException: error: cannot use SQLite" in waited.stderr
    assert "airhost deploy prod' again" in waited.stderr and "Traceback" not in waited.stderr.split(
        "The last lines")[0]
