"""The local target with the Celery executor: real Redis, a real Celery worker, real Airflow.

The project also carries the metric settings airhost renders for Celery on ECS, pointed at a UDP
listener of the test instead of the CloudWatch agent: so the last test sees, from real Airflow, the
per-queue backlog gauges the ECS worker groups scale on.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

import pytest
import yaml

from airhost.airflow_api import ApiUnreachable
from airhost.config.loader import load_project
from airhost.render.airflow_env import render_airflow_env
from airhost.render.ecs.tasks import ecs_site
from airhost.render.ecs.worker_sizing import desired_workers
from tests.airflow.conftest import REPO, Airflow, airhost

pytestmark = [pytest.mark.airflow, pytest.mark.timeout(900)]

# Its own API port: other local-Airflow tests may run on this machine at the same time.
PORT = 8792
EXAMPLES = REPO / "examples" / "ecs"

BURST = """\
import time

import pendulum
from airflow.sdk import dag, task


@dag(schedule=None, start_date=pendulum.datetime(2024, 1, 1), catchup=False, max_active_tasks=64)
def burst():
    @task
    def work(number: int) -> int:
        time.sleep(30)
        return number

    for number in range(24):
        work.override(task_id=f"work_{number:02d}")(number)
    # No local worker listens on this queue: its tasks wait, as they would for a group at zero.
    for number in range(5):
        work.override(task_id=f"heavy_{number}", queue="heavy")(number)


burst()
"""

FAN_OUT = """\
import pendulum
from airflow.sdk import dag, task


@dag(schedule=None, start_date=pendulum.datetime(2024, 1, 1), catchup=False)
def fan_out_100():
    @task
    def echo(number: int) -> int:
        return number

    for number in range(100):
        echo.override(task_id=f"echo_{number:03d}")(number)


fan_out_100()
"""

SLOW = """\
import time

import pendulum
from airflow.sdk import dag, task


@dag(schedule=None, start_date=pendulum.datetime(2024, 1, 1), catchup=False)
def slow_task():
    @task
    def sleep_then_succeed() -> str:
        time.sleep(8)
        return "done"

    sleep_then_succeed()


slow_task()
"""


@pytest.fixture(scope="module")
def gauges():
    """A UDP socket where the scheduler's StatsD datagrams arrive (the CloudWatch agent's place)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listener.bind(("127.0.0.1", 0))
    yield listener
    listener.close()


def ecs_metric_settings(statsd_port: int) -> dict[str, dict[str, str]]:
    """The [metrics] and [scheduler] settings airhost renders for a Celery scheduler on ECS, with
    the StatsD address moved from the agent sidecar to this test's listener."""
    env = load_project(EXAMPLES).environment("fg-split-alb")
    site = ecs_site(env)
    values = render_airflow_env(env, "scheduler", site).values
    assert values["AIRFLOW__METRICS__STATSD_HOST"] == "127.0.0.1"
    settings: dict[str, dict[str, str]] = {}
    for name, value in values.items():
        section, _, key = name.removeprefix("AIRFLOW__").partition("__")
        if section == "METRICS" or key == "TI_METRICS_INTERVAL":
            settings.setdefault(section.lower(), {})[key.lower()] = value
    settings["metrics"]["statsd_port"] = str(statsd_port)
    return settings


@pytest.fixture(scope="module")
def celery_project(gauges):
    """A project with executor celery, airhost's ECS metric settings and three DAGs: a 100-task
    fan-out, one slow task, and a burst across two queues."""
    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed (make system-deps installs it)")
    folder = Path(tempfile.mkdtemp(prefix="airhost-celery-", dir="/tmp"))
    os.chmod(folder, 0o755)  # PostgreSQL runs as the postgres user when root
    root = folder / "project"
    airhost("init", str(root), "--name", "celery")
    config = root / "airhost.yaml"
    project = yaml.safe_load(config.read_text())
    project["airflow"]["executor"] = "celery"
    project["airflow"]["config"].update(ecs_metric_settings(gauges.getsockname()[1]))
    project["environments"]["local"]["local"]["port"] = PORT
    config.write_text(yaml.safe_dump(project, sort_keys=False))
    # the DogStatsD client the ECS image gets from `image build` (config_packages)
    with (root / "requirements.txt").open("a") as requirements:
        requirements.write("\ndatadog\n")
    (root / "dags" / "fan_out.py").write_text(FAN_OUT)
    (root / "dags" / "slow.py").write_text(SLOW)
    (root / "dags" / "burst.py").write_text(BURST)
    yield root
    airhost("down", "--config", str(root), check=False)
    shutil.rmtree(folder, ignore_errors=True)


def status_of(root: Path) -> dict:
    return json.loads(airhost("status", "--config", str(root), "--output", "json").stdout)


def component(status: dict, name: str) -> dict:
    return next(c for c in status["components"] if c["component"] == name)


def test_a_100_task_dag_runs_on_celery_workers_with_real_redis(celery_project):
    root = celery_project
    airhost("up", "--config", str(root))
    status = status_of(root)
    assert status["executor"] == "celery" and status["healthy"] is True
    assert status["url"] == f"http://127.0.0.1:{PORT}"
    for name in ("redis", "worker"):
        assert component(status, name)["state"] == "RUNNING", name
    worker_log = root / ".airhost" / "local" / "logs" / "worker.log"
    assert "redis://" in worker_log.read_text() and "concurrency: 16" in worker_log.read_text()

    airflow = Airflow(root)
    run = airflow.run_dag("fan_out_100", timeout=240)
    assert run["state"] == "success"
    instances = airflow.client.get(
        f"/api/v2/dags/fan_out_100/dagRuns/{urllib.parse.quote(run['dag_run_id'])}/taskInstances"
        "?limit=200")["task_instances"]
    assert len(instances) == 100
    assert {ti["state"] for ti in instances} == {"success"}
    assert {ti["queue"] for ti in instances} == {"default"}


def test_down_lets_the_worker_finish_a_running_task(celery_project):
    root = celery_project
    airhost("up", "--config", str(root))
    airflow = Airflow(root)
    airflow.wait_for_dag("slow_task")
    airflow.client.patch("/api/v2/dags/slow_task", {"is_paused": False})
    run_id = airflow.client.post("/api/v2/dags/slow_task/dagRuns", {"logical_date": None})["dag_run_id"]
    instance = f"/api/v2/dags/slow_task/dagRuns/{urllib.parse.quote(run_id)}/taskInstances/sleep_then_succeed"
    deadline = time.monotonic() + 120
    while airflow.client.get(instance)["state"] != "running":
        assert time.monotonic() < deadline, "the slow task never started"
        time.sleep(0.5)

    # stopped while the task runs: the worker drains (warm shutdown) before Airflow and Redis stop
    subprocess.run([sys.executable, "-m", "airhost", "down", "--config", str(root)], cwd=REPO,
                   check=True, capture_output=True, timeout=700)
    assert "Warm shutdown" in (root / ".airhost" / "local" / "logs" / "worker.log").read_text()

    airhost("up", "--config", str(root))
    assert Airflow(root).client.get(instance)["state"] == "success"


GAUGE = re.compile(r"^airflow\.(ti\.queued|ti\.running):([0-9.]+)\|g\|#(.*)$")


def backlog_by_queue(latest: dict[tuple[str, str], float]) -> dict[str, float]:
    """What the CloudWatch agent publishes per queue: each series' latest value, summed."""
    totals: dict[str, float] = {}
    for (_, tags), value in latest.items():
        queue = dict(tag.split(":", 1) for tag in tags.split(","))["queue"]
        totals[queue] = totals.get(queue, 0.0) + value
    return totals


def test_the_scheduler_reports_each_queues_backlog_as_tagged_gauges(celery_project, gauges):
    root = celery_project
    airhost("up", "--config", str(root))
    airflow = Airflow(root)
    airflow.wait_for_dag("burst")
    airflow.client.patch("/api/v2/dags/burst", {"is_paused": False})
    gauges.settimeout(1.0)
    while True:  # drop what arrived before the burst
        try:
            gauges.recv(65536)
        except TimeoutError:
            break
    run_id = airflow.client.post("/api/v2/dags/burst/dagRuns", {"logical_date": None})["dag_run_id"]

    latest: dict[tuple[str, str], float] = {}
    names: set[str] = set()
    backlog: dict[str, float] = {}
    deadline = time.monotonic() + 90
    while not (backlog.get("default", 0) >= 24 and backlog.get("heavy", 0) == 5):
        assert time.monotonic() < deadline, f"no full backlog reported; last seen {backlog}"
        try:
            datagram = gauges.recv(65536).decode()
        except TimeoutError:
            continue
        for line in datagram.splitlines():
            names.add(line.split(":", 1)[0])
            match = GAUGE.match(line)
            if match:
                latest[(match.group(1), match.group(3))] = float(match.group(2))
        backlog = backlog_by_queue(latest)

    # only the two backlog gauges leave Airflow, each task its own series, tagged with its queue;
    # the DogStatsD client adds its own telemetry counters (counted by `airhost cost`)
    ours = {"airflow.ti.queued", "airflow.ti.running"}
    assert {name for name in names if not name.startswith("datadog.dogstatsd.client.")} <= ours, names
    assert {tags for _, tags in latest} >= {f"queue:heavy,dag_id:burst,task_id:heavy_{n}" for n in range(5)}
    # the example's groups: default 8 tasks per worker (max 8), heavy 2 per worker (max 2)
    assert desired_workers(int(backlog["default"]), 8, 0, 8) == 3
    assert desired_workers(int(backlog["heavy"]), 2, 0, 2) == 2

    # the burst is no longer needed; an API server busy with it may miss the first request
    for attempt in range(6):
        try:
            airflow.client.patch(f"/api/v2/dags/burst/dagRuns/{urllib.parse.quote(run_id)}",
                                 {"state": "failed"})
            break
        except ApiUnreachable:
            time.sleep(5)
