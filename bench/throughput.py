"""Task throughput of airhost's rendered configuration beside stock Airflow defaults, in one run.

One fan-out DAG of 200 trivial tasks, triggered through the REST API, timed from the run's start to
its end as Airflow records them (and, as a check, by the wall clock from trigger to success), on:

  airhost local    `airhost up` of a local environment with executor local (LocalExecutor)
  stock local      the same virtualenv's components with Airflow's defaults, LocalExecutor
  airhost celery   `airhost up` of a local environment with executor celery (Redis, one worker)
  stock celery     the same virtualenv's components with Airflow's defaults, CeleryExecutor

"Stock defaults" sets only what a component cannot start without: the database (a fresh database in
the same PostgreSQL server), the executor, the broker (the same Redis, another database number), the
DAG folder, the API port and the execution API URL that follows from it. Everything else is Airflow's
default, from the ``airflow.cfg`` Airflow writes on first start. airhost's environment is stopped
while the stock one runs, so each configuration has the machine to itself.

Run: python bench/throughput.py [--runs N]   (writes bench/results/throughput.json)
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import write_result  # noqa: E402
from airhost.config import load_project  # noqa: E402
from airhost.local.components import airflow_components  # noqa: E402
from airhost.local.environment import LocalEnvironment  # noqa: E402
from airhost.airflow_api import ApiClient, all_healthy, read_health  # noqa: E402
from airhost.local.ports import free_port  # noqa: E402
from airhost.local.postgres import EmbeddedPostgres  # noqa: E402

TASKS = 200
DAG_ID = "fan_out_200"
FAN_OUT = f'''\
import pendulum
from airflow.sdk import dag, task


@dag(schedule=None, start_date=pendulum.datetime(2024, 1, 1), catchup=False)
def {DAG_ID}():
    @task
    def echo(number: int) -> int:
        return number

    for number in range({TASKS}):
        echo.override(task_id=f"echo_{{number:03d}}")(number)


{DAG_ID}()
'''
ENVIRONMENTS = """
  bench-local:
    target: local
    local: {port: 8796}
  bench-celery:
    target: local
    airflow: {executor: celery}
    local: {port: 8797}
"""
STOCK_PASSWORD = "bench-only-password"


def airhost(*args: str) -> str:
    result = subprocess.run([sys.executable, "-m", "airhost", *args], capture_output=True, text=True,
                            check=False)
    if result.returncode != 0:
        raise SystemExit(f"airhost {' '.join(args)} failed:\n{result.stderr}")
    return result.stdout


def _seconds(value: str) -> float:
    return datetime.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def timed_run(client: ApiClient, timeout: float = 600) -> dict:
    """Trigger the fan-out DAG once; seconds and tasks/s as Airflow recorded the run."""
    deadline = time.monotonic() + 120
    while True:
        try:
            client.get(f"/api/v2/dags/{DAG_ID}")
            break
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit(f"{DAG_ID} was not parsed within 120 s")
            time.sleep(1)
    client.patch(f"/api/v2/dags/{DAG_ID}", {"is_paused": False})
    started = time.monotonic()
    run = client.post(f"/api/v2/dags/{DAG_ID}/dagRuns", {"logical_date": None})
    path = f"/api/v2/dags/{DAG_ID}/dagRuns/{urllib.parse.quote(run['dag_run_id'])}"
    while run["state"] not in ("success", "failed"):
        if time.monotonic() - started > timeout:
            raise SystemExit(f"the run did not finish within {timeout} s")
        time.sleep(0.5)
        run = client.get(path)
    wall = time.monotonic() - started
    if run["state"] != "success":
        raise SystemExit(f"the run failed: {run}")
    seconds = _seconds(run["end_date"]) - _seconds(run["start_date"])
    return {"seconds": round(seconds, 2), "tasks_per_second": round(TASKS / seconds, 2),
            "wall_seconds": round(wall, 2)}


def summary(runs: list[dict]) -> dict:
    return {"runs": runs,
            "median_seconds": round(statistics.median(r["seconds"] for r in runs), 2),
            "median_tasks_per_second": round(statistics.median(r["tasks_per_second"] for r in runs), 2)}


def measure(client: ApiClient, count: int, label: str) -> dict:
    runs = []
    for _ in range(count):
        load = os.getloadavg()[0]  # the machine may be shared: say how busy it was
        runs.append({**timed_run(client), "load_average_before": round(load, 2)})
        print(f"{label}: {runs[-1]}", file=sys.stderr)
    return summary(runs)


def stock_environment(local: LocalEnvironment, executor: str, home: Path, port: int) -> dict[str, str]:
    ports = local.ports()
    postgres = EmbeddedPostgres(local.paths, local.secrets)
    database = f"stock_{executor}"
    if postgres.psql(ports["postgres"], f"SELECT 1 FROM pg_database WHERE datname = '{database}'") != "1":
        postgres.psql(ports["postgres"], f"CREATE DATABASE {database}")
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    environment.update({
        "PATH": f"{local.paths.airflow_bin.parent}{os.pathsep}{environment.get('PATH', '')}",
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": postgres.url(ports["postgres"]).rsplit("/", 1)[0]
        + f"/{database}",
        "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor" if executor == "celery" else "LocalExecutor",
        "AIRFLOW__CORE__DAGS_FOLDER": str(local.project_dags),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://localhost:{port}/execution/",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "passwords.json"),
    })
    if executor == "celery":
        environment["AIRFLOW__CELERY__BROKER_URL"] = f"redis://127.0.0.1:{ports['redis']}/1"
    return environment


def run_stock(local: LocalEnvironment, executor: str, count: int) -> dict:
    """Airflow's components with default settings, measured like airhost's."""
    home = Path(tempfile.mkdtemp(prefix=f"stock-{executor}-"))
    (home / "passwords.json").write_text(json.dumps({"admin": STOCK_PASSWORD}))
    port = free_port(18090)
    environment = stock_environment(local, executor, home, port)
    airflow = str(local.paths.airflow_bin)
    subprocess.run([airflow, "db", "migrate"], env=environment, check=True, capture_output=True)
    components = [["api-server"], ["scheduler"], ["dag-processor"], ["triggerer"]]
    if executor == "celery":
        components.append(["celery", "worker"])
    processes = [subprocess.Popen([airflow, *args], env=environment, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL, start_new_session=True)
                 for args in components]
    try:
        deadline = time.monotonic() + 180
        while not all_healthy(read_health(f"http://127.0.0.1:{port}", timeout=1)):
            if time.monotonic() > deadline:
                raise SystemExit(f"stock Airflow ({executor}) did not become healthy")
            time.sleep(0.5)
        client = ApiClient(f"http://127.0.0.1:{port}", "admin", STOCK_PASSWORD)
        return measure(client, count, f"stock {executor}")
    finally:
        for process in processes:
            os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=120)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        shutil.rmtree(home, ignore_errors=True)


def rendered_settings(local: LocalEnvironment) -> dict[str, str]:
    """The scheduler's rendered settings that touch throughput, for the record."""
    keys = ("PARALLELISM", "MAX_ACTIVE_TASKS_PER_DAG", "WORKER_CONCURRENCY", "EXECUTOR")
    text = (local.paths.env_files / "scheduler.env").read_text()
    pairs = (line.split("=", 1) for line in text.splitlines() if "=" in line)
    return {key: value.strip("'") for key, value in pairs
            if key.startswith("AIRFLOW__") and key.rsplit("__", 1)[-1] in keys}


def bench_executor(root: Path, name: str, executor: str, count: int) -> dict:
    airhost("up", name, "--config", str(root))
    local = LocalEnvironment(load_project(root), load_project(root).environment(name))
    status = json.loads(airhost("status", name, "--config", str(root), "--output", "json",
                                "--show-password"))
    client = ApiClient(status["url"], status["username"], status["password"])
    result = {"airhost": measure(client, count, f"airhost {executor}"),
              "airhost_settings": rendered_settings(local)}
    for component in reversed(airflow_components(local.env)):
        local.supervisor.stop(component)  # PostgreSQL and Redis stay for the stock run
    result["stock"] = run_stock(local, executor, count)
    airhost("down", name, "--config", str(root))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2, help="DAG runs per configuration")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-throughput-", dir="/tmp"))
    os.chmod(folder, 0o755)  # PostgreSQL runs as the postgres user when root
    root = folder / "project"
    airhost("init", str(root), "--name", "bench")
    config = root / "airhost.yaml"
    config.write_text(config.read_text().replace("environments:\n", "environments:" + ENVIRONMENTS, 1))
    (root / "dags" / "fan_out.py").write_text(FAN_OUT)
    results = {}
    try:
        for name, executor in (("bench-local", "local"), ("bench-celery", "celery")):
            results[executor] = bench_executor(root, name, executor, args.runs)
        airflow_bin = root / ".airhost" / "bench-local" / "venv" / "bin" / "airflow"
        version = subprocess.run([str(airflow_bin), "version"], capture_output=True, text=True).stdout
    finally:
        for name in ("bench-local", "bench-celery"):
            subprocess.run([sys.executable, "-m", "airhost", "down", name, "--config", str(root)],
                           capture_output=True, check=False)
        shutil.rmtree(folder, ignore_errors=True)
    result = {
        "airflow_version": version.strip().splitlines()[-1] if version.strip() else None,
        "dag": f"{TASKS} independent trivial @task functions in one DAG run",
        "unit": "seconds from the DAG run's start_date to its end_date (Airflow's record); "
                "tasks_per_second = tasks / seconds; wall_seconds = trigger to success seen by the API",
        "notes": "stock = the same virtualenv and PostgreSQL server (own database), Airflow defaults; "
                 "the celery configurations run one worker on this machine's Redis",
        **results,
    }
    path = write_result("throughput", result)
    print(json.dumps(result, indent=2))
    print(f"written to {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
