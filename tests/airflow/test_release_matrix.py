"""The newest release of every Airflow 3 line comes up locally, on each supported Python.

For each: ``airhost up`` reports healthy, a login through ``/auth/token`` works, the example DAG's
run succeeds, and ``airhost dags list`` answers with it. One version per line on Python 3.11 and the
default version on 3.12 keep the tier within budget; uv's download cache is shared between them.
Add a line here when it ships.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
from pathlib import Path

import pytest

from airhost.config.support import DEFAULT_AIRFLOW_VERSION
from airhost.local.ports import free_port
from tests.airflow.conftest import Airflow, airhost

NEWEST_OF_EACH_LINE = ["3.0.6", "3.1.8", "3.2.2", "3.3.2"]
MATRIX = [(version, "3.11") for version in NEWEST_OF_EACH_LINE] + [(DEFAULT_AIRFLOW_VERSION, "3.12")]

pytestmark = [pytest.mark.airflow, pytest.mark.timeout(1800)]


@pytest.fixture
def project_at():
    """A new project for one (version, python), in a folder the postgres user can enter."""
    made: list[Path] = []

    def make(version: str, python: str) -> Path:
        folder = Path(tempfile.mkdtemp(prefix="airhost-matrix-", dir="/tmp"))
        os.chmod(folder, 0o755)
        root = folder / "project"
        airhost("init", str(root), "--name", "matrix")
        config = root / "airhost.yaml"
        text = re.sub(r'version: "[^"]+"', f'version: "{version}"', config.read_text(), count=1)
        text = re.sub(r'python: "[^"]+"', f'python: "{python}"', text, count=1)
        # a port of its own, away from Airflow's default that anything else on the machine may hold
        config.write_text(text.replace("port: 8080", f"port: {free_port(28080)}"))
        made.append(root)
        return root

    yield make
    for root in made:
        airhost("down", "--config", str(root), check=False)
        shutil.rmtree(root.parent, ignore_errors=True)


@pytest.mark.parametrize(("version", "python"), MATRIX, ids=[f"{v}-py{p}" for v, p in MATRIX])
def test_release_comes_up_logs_in_runs_a_dag_and_lists_dags(project_at, version, python):
    started = time.monotonic()
    root = project_at(version, python)
    up = airhost("up", "--config", str(root), "--output", "json", "--timeout", "900", timeout=1500)
    assert "constraints:" in up.stderr  # which constraints the install took is said
    lock = (root / ".airhost" / "local" / "requirements.lock").read_text()
    assert f"apache-airflow=={version}" in lock and lock.startswith("# constraints:")
    venv_python = next((root / ".airhost" / "local" / "venv" / "lib").glob("python*")).name
    assert venv_python == f"python{python}"
    status = json.loads(airhost("status", "--config", str(root), "--output", "json").stdout)
    assert status["healthy"] is True

    airflow = Airflow(root)  # logs in through /auth/token
    assert airflow.client.get("/api/v2/version")["version"] == version
    run = airflow.run_dag("example_pipeline")
    assert run["state"] == "success", run

    listed = json.loads(airhost("dags", "list", "--config", str(root), "--output", "json").stdout)
    assert "example_pipeline" in [dag["dag_id"] for dag in listed["dags"]]
    assert listed["import_errors"] == []
    print(f"\n{version} python {python}: healthy, login, DAG run, dags list in "
          f"{time.monotonic() - started:.0f} s")
