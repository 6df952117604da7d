"""The local target with the Celery executor: real Redis, a real Celery worker, real Airflow."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

import pytest

from tests.airflow.conftest import REPO, Airflow, airhost

pytestmark = [pytest.mark.airflow, pytest.mark.timeout(900)]

# Its own API port: other local-Airflow tests may run on this machine at the same time.
PORT = 8792

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
def celery_project():
    """A project with executor celery and two DAGs: a 100-task fan-out and one slow task."""
    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed (make system-deps installs it)")
    folder = Path(tempfile.mkdtemp(prefix="airhost-celery-", dir="/tmp"))
    os.chmod(folder, 0o755)  # PostgreSQL runs as the postgres user when root
    root = folder / "project"
    airhost("init", str(root), "--name", "celery")
    config = root / "airhost.yaml"
    text = config.read_text().replace("executor: local ", "executor: celery ").replace(
        "port: 8080", f"port: {PORT}")
    assert "executor: celery" in text and f"port: {PORT}" in text
    config.write_text(text)
    (root / "dags" / "fan_out.py").write_text(FAN_OUT)
    (root / "dags" / "slow.py").write_text(SLOW)
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
