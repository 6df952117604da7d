"""Fixtures for the real-Airflow tier: a project folder PostgreSQL may enter, and the airhost CLI."""

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

from airhost.airflow_api import ApiClient
from airhost.airflow_api.client import ApiUnreachable

REPO = Path(__file__).resolve().parents[2]


def airhost(*args: str, check: bool = True, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    """Run the airhost CLI as a user would, in a separate process."""
    result = subprocess.run([sys.executable, "-m", "airhost", *args], capture_output=True, text=True,
                            timeout=timeout, cwd=REPO, check=False)
    if check and result.returncode != 0:
        raise AssertionError(f"airhost {' '.join(args)} exited {result.returncode}:\n"
                             f"{result.stdout}\n{result.stderr}")
    return result


@pytest.fixture(scope="module")
def project_folder():
    """A new project made by `airhost init`, in a folder the postgres user can enter."""
    folder = Path(tempfile.mkdtemp(prefix="airhost-test-", dir="/tmp"))
    os.chmod(folder, 0o755)
    root = folder / "project"
    airhost("init", str(root), "--name", "tier")
    yield root
    airhost("down", "--config", str(root), check=False)
    shutil.rmtree(folder, ignore_errors=True)


class Airflow:
    """The REST API of a running local environment."""

    def __init__(self, root: Path) -> None:
        status = json.loads(airhost("status", "--config", str(root), "--output", "json",
                                    "--show-password").stdout)
        self.client = ApiClient(status["url"], status["username"], status["password"])

    def wait_for_dag(self, dag_id: str, timeout: float = 90) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                return self.client.get(f"/api/v2/dags/{dag_id}")
            except (OSError, ApiUnreachable):
                time.sleep(1)
        raise AssertionError(f"DAG {dag_id} was not parsed within {timeout} s")

    def run_dag(self, dag_id: str, timeout: float = 180) -> dict:
        self.wait_for_dag(dag_id)
        self.client.patch(f"/api/v2/dags/{dag_id}", {"is_paused": False})
        run = self.client.post(f"/api/v2/dags/{dag_id}/dagRuns", {"logical_date": None})
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                run = self.client.get(f"/api/v2/dags/{dag_id}/dagRuns/{urllib.parse.quote(run['dag_run_id'])}")
            except (OSError, ApiUnreachable):  # an API server busy with many running tasks may miss one poll
                time.sleep(1)
                continue
            if run["state"] in ("success", "failed"):
                return run
            time.sleep(1)
        raise AssertionError(f"run of {dag_id} did not finish within {timeout} s: {run['state']}")

    def task_log(self, dag_id: str, run_id: str, task_id: str) -> str:
        path = (f"/api/v2/dags/{dag_id}/dagRuns/{urllib.parse.quote(run_id)}/taskInstances/"
                f"{task_id}/logs/1")
        return json.dumps(self.client.get(path))

    def runs(self, dag_id: str) -> list[dict]:
        return self.client.get(f"/api/v2/dags/{dag_id}/dagRuns")["dag_runs"]
