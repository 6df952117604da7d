"""The local target with real Airflow and real PostgreSQL, driven through the CLI and REST API."""

from __future__ import annotations

import json
import os
import signal
import time

import pytest
import yaml

from tests.airflow.conftest import Airflow, airhost

pytestmark = [pytest.mark.airflow, pytest.mark.timeout(1200)]


def component(status: dict, name: str) -> dict:
    return next(c for c in status["components"] if c["component"] == name)


def status_of(root) -> dict:
    return json.loads(airhost("status", "--config", str(root), "--output", "json").stdout)


def test_up_runs_the_example_dag_and_keeps_data_across_down(project_folder):
    root = project_folder
    first = airhost("up", "--config", str(root), "--output", "json")
    started = json.loads(first.stdout)
    assert started["url"].startswith("http://127.0.0.1:")
    assert started["password"]  # shown once, on the first start
    # the password file is private
    secret = root / ".airhost" / "local" / "secrets" / "admin_password"
    assert oct(secret.stat().st_mode & 0o777) == "0o600"
    assert secret.read_text().strip() == started["password"]
    lock = (root / ".airhost" / "local" / "requirements.lock").read_text()
    assert "apache-airflow==3.3.2" in lock

    status = status_of(root)
    assert status["healthy"] is True
    for name in ("postgres", "api-server", "scheduler", "dag-processor", "triggerer"):
        assert component(status, name)["state"] == "RUNNING", name

    airflow = Airflow(root)
    run = airflow.run_dag("example_pipeline")
    assert run["state"] == "success"
    assert "example_pipeline loaded total=30" in airflow.task_log("example_pipeline", run["dag_run_id"], "load")

    logs = airhost("logs", "--config", str(root), "local", "scheduler", "--lines", "20")
    assert logs.stdout.strip(), "the scheduler's log is readable through airhost logs"

    # a one-off command runs with the environment's own settings, and its exit code is airhost's
    ran = airhost("run", "local", "--config", str(root), "--", "airflow", "config", "get-value",
                  "core", "executor", check=False)
    assert ran.returncode == 0, ran.stderr
    assert "LocalExecutor" in ran.stdout
    failed = airhost("run", "local", "--config", str(root), "--", "bash", "-c",
                     'echo "executor is $AIRFLOW__CORE__EXECUTOR"; exit 3', check=False)
    assert failed.returncode == 3 and "executor is LocalExecutor" in failed.stdout

    # a wrong password is said to be one, not taken for an unreachable API
    real = secret.read_text()
    secret.write_text("not-the-password")
    try:
        refused = airhost("dags", "list", "--config", str(root), check=False)
    finally:
        secret.write_text(real)
    assert refused.returncode == 1
    assert "refused the login (HTTP 401" in refused.stderr and "Traceback" not in refused.stderr

    again = airhost("up", "--config", str(root), "--output", "json")
    assert json.loads(again.stdout)["password"] is None  # not shown twice
    assert json.loads(again.stdout)["virtualenv_built"] is False
    assert component(status_of(root), "scheduler")["pid"] == component(status, "scheduler")["pid"]

    down = airhost("down", "--config", str(root))
    assert "data kept" in down.stderr
    stopped = status_of(root)
    assert stopped["running"] is False
    assert all(c["state"] == "STOPPED" for c in stopped["components"])

    airhost("up", "--config", str(root))
    runs = Airflow(root).runs("example_pipeline")
    assert run["dag_run_id"] in [r["dag_run_id"] for r in runs]


def test_a_crashed_component_is_restarted_without_leftovers(project_folder):
    root = project_folder
    airhost("up", "--config", str(root))
    before = component(status_of(root), "scheduler")["pid"]
    os.kill(before, signal.SIGKILL)
    deadline = time.monotonic() + 60
    after = None
    while time.monotonic() < deadline:
        current = component(status_of(root), "scheduler")
        if current["state"] == "RUNNING" and current["pid"] not in (None, before):
            after = current["pid"]
            break
        time.sleep(1)
    assert after, "the scheduler was not restarted"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            os.killpg(before, 0)
        except ProcessLookupError:
            break
        time.sleep(0.5)
    else:
        raise AssertionError("the killed scheduler's executor workers were left running")


BROKEN_DAG = "from airflow.sdk import dag\nimport module_that_does_not_exist\n"


def test_dags_push_ships_new_changed_and_removed_dags_and_refuses_broken_ones(project_folder):
    root = project_folder
    warm = airhost("up", "--config", str(root))
    # the database was migrated by the first up: a warm up does not start Airflow to migrate again
    assert "no migration" in warm.stderr and "airflow db migrate" not in warm.stderr
    airflow = Airflow(root)
    bundle = root / ".airhost" / "local" / "bundle"

    # a broken DAG: refused with file and line, nothing uploaded
    (root / "dags" / "broken.py").write_text(BROKEN_DAG)
    (root / "dags" / "extra.py").write_text(
        (root / "dags" / "example_pipeline.py").read_text().replace("example_pipeline", "extra_pipeline"))
    refused = airhost("dags", "push", "--config", str(root), check=False)
    assert refused.returncode == 1
    assert "broken.py:2: ModuleNotFoundError" in refused.stderr
    assert not (bundle / "extra.py").exists() and not (bundle / "broken.py").exists()

    # fixed: the new DAG is uploaded, parsed and runnable
    (root / "dags" / "broken.py").unlink()
    pushed = json.loads(airhost("dags", "push", "--config", str(root), "--output", "json").stdout)
    assert pushed["sync"]["added"] == ["extra.py"]
    assert pushed["sync"]["changed"] == [] and pushed["sync"]["unchanged"] == 1
    assert pushed["dags"] == {"extra_pipeline": "new"}
    assert airflow.run_dag("extra_pipeline")["state"] == "success"

    # a change is parsed: Airflow serves the new code
    path = root / "dags" / "extra.py"
    path.write_text(path.read_text().replace("def load(", "def store(").replace("load(transform", "store(transform"))
    changed = json.loads(airhost("dags", "push", "--config", str(root), "--output", "json").stdout)
    assert changed["sync"]["changed"] == ["extra.py"] and changed["sync"]["added"] == []
    assert changed["dags"] == {"extra_pipeline": "parsed"}
    assert "def store(" in airflow.client.get("/api/v2/dagSources/extra_pipeline")["content"]
    listed = json.loads(airhost("dags", "list", "--config", str(root), "--output", "json").stdout)
    assert {d["dag_id"] for d in listed["dags"]} >= {"example_pipeline", "extra_pipeline"}
    assert all(d["version"] >= 1 for d in listed["dags"])

    # removed from dags/: removed from Airflow
    path.unlink()
    removed = json.loads(airhost("dags", "push", "--config", str(root), "--output", "json").stdout)
    assert removed["sync"]["deleted"] == ["extra.py"]
    assert removed["dags"] == {"extra_pipeline": "removed"}
    listed = json.loads(airhost("dags", "list", "--config", str(root), "--output", "json").stdout)
    assert all(d["stale"] for d in listed["dags"] if d["dag_id"] == "extra_pipeline")


def test_a_component_that_fails_at_every_start_is_named_with_its_error(project_folder):
    """A certificate path that does not exist: the API server exits at each start. ``up`` stops
    waiting once it has exited twice (not at the health timeout), names it and shows its error;
    ``status`` shows it crash-looping with its restarts; the fixed configuration comes up."""
    root = project_folder
    config = root / "airhost.yaml"
    original = config.read_text()
    broken = yaml.safe_load(original)
    broken["airflow"]["config"]["api"] = {"ssl_cert": "/nonexistent/airflow.crt",
                                          "ssl_key": "/nonexistent/airflow.key"}
    config.write_text(yaml.safe_dump(broken, sort_keys=False))
    try:
        failed = airhost("up", "--config", str(root), check=False)
        assert failed.returncode == 1, failed.stderr
        assert "api-server exits at start: it has stopped" in failed.stderr
        assert "SSL related file does not exist /nonexistent/airflow.crt" in failed.stderr
        assert "not healthy within" not in failed.stderr  # it did not wait out the timeout
        assert "airhost up local' again" in failed.stderr  # and says what to do
        api = component(status_of(root), "api-server")
        assert api["state"] == "CRASH_LOOP" and api["restarts"] >= 2
        assert component(status_of(root), "scheduler")["state"] == "RUNNING"
    finally:
        config.write_text(original)
    fixed = json.loads(airhost("up", "--config", str(root), "--output", "json").stdout)
    assert fixed["url"]
    healthy = status_of(root)
    assert healthy["healthy"] is True
    assert component(healthy, "api-server")["state"] == "RUNNING"  # its past exits are past


def test_down_purge_deletes_only_when_confirmed(project_folder):
    root = project_folder
    airhost("down", "--config", str(root))
    state = root / ".airhost" / "local"
    refused = airhost("down", "--config", str(root), "--purge", check=False)  # no input: not confirmed
    assert refused.returncode == 130
    assert state.exists()
    airhost("down", "--config", str(root), "--purge", "--yes")
    assert not state.exists()
