"""Local backup and restore with real Airflow and real PostgreSQL: pg_dump, pg_restore, a DAG run kept."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.airflow.conftest import Airflow, airhost

pytestmark = pytest.mark.airflow

PORT = 8791  # its own API port: other local-Airflow tests may run on this machine at the same time


@pytest.fixture(scope="module")
def backup_project():
    folder = Path(tempfile.mkdtemp(prefix="airhost-backup-", dir="/tmp"))
    os.chmod(folder, 0o755)  # PostgreSQL runs as the postgres user when the tests run as root
    root = folder / "project"
    airhost("init", str(root), "--name", "backups")
    config = root / "airhost.yaml"
    config.write_text(config.read_text().replace("port: 8080", f"port: {PORT}"))
    yield root
    airhost("down", "--config", str(root), check=False)
    shutil.rmtree(folder, ignore_errors=True)


def test_a_dag_run_recorded_before_the_backup_is_there_after_the_restore(backup_project):
    root = backup_project
    airhost("up", "--config", str(root), "--output", "json")
    airflow = Airflow(root)
    kept = airflow.run_dag("example_pipeline")
    assert kept["state"] == "success"

    made = json.loads(airhost("backup", "local", "--label", "first", "--config", str(root),
                              "--output", "json").stdout)
    dump = Path(made["path"])
    assert dump.parent == root / ".airhost" / "local" / "backups"
    assert dump.name.endswith("-first.dump") and made["size_bytes"] > 0
    assert oct(dump.stat().st_mode & 0o777) == "0o600"  # it holds the whole database
    listed = json.loads(airhost("backups", "local", "--config", str(root), "--output", "json").stdout)
    assert [row["backup"] for row in listed] == [made["backup"]]

    # a run triggered after the backup (no need to wait for it): the restore must take it away
    later = airflow.client.post("/api/v2/dags/example_pipeline/dagRuns", {"logical_date": None})
    assert {run["dag_run_id"] for run in airflow.runs("example_pipeline")} == {
        kept["dag_run_id"], later["dag_run_id"]}

    restored = airhost("restore", "local", made["backup"], "--config", str(root))

    assert f"restored {made['backup']} into local" in restored.stdout
    status = json.loads(airhost("status", "--config", str(root), "--output", "json").stdout)
    assert status["healthy"] is True
    runs = Airflow(root).runs("example_pipeline")
    assert [run["dag_run_id"] for run in runs] == [kept["dag_run_id"]]
    assert runs[0]["state"] == "success"
    # the database as it was before the restore was kept as a backup of its own
    names = [row["backup"] for row in json.loads(
        airhost("backups", "local", "--config", str(root), "--output", "json").stdout)]
    assert any(name.endswith("-before-restore") for name in names)


def test_restoring_a_backup_that_does_not_exist_names_the_listing_command(backup_project):
    result = airhost("restore", "local", "nope", "--config", str(backup_project), check=False)
    assert result.returncode == 2
    assert "no backup nope" in result.stderr and "airhost backups local" in result.stderr
    assert "Traceback" not in result.stderr
