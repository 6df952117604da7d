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
default, from the ``airflow.cfg`` Airflow writes on first start.

Runs are interleaved, airhost then stock, N times (ABAB…) per executor; each run starts its
configuration's components afresh, after a bounded wait for a quiet machine (the one-minute load
below the CPU count), and stops them after, so each configuration has the machine to itself. Every
run records its load, and the CPU seconds each kind of process spent (``bench/process_cpu.py``):
where the time goes, which a shared machine's wall clock cannot say alone.

Run: python bench/throughput.py [--runs N] [--max-wait S] [--executors local,celery]
(writes bench/results/throughput.json)
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

from bench.common import interleaved, load_average, write_result  # noqa: E402
from bench.process_cpu import cpu_by_process, snapshot  # noqa: E402
from airhost.config import load_project  # noqa: E402
from airhost.local.components import DAG_CHECKER, airflow_components  # noqa: E402
from airhost.local.environment import LocalEnvironment  # noqa: E402
from airhost.airflow_api import ApiClient, all_healthy, read_health  # noqa: E402
from airhost.airflow_api.client import ApiUnreachable  # noqa: E402
from airhost.local.ports import free_port  # noqa: E402
from airhost.local.postgres import DATABASE, EmbeddedPostgres  # noqa: E402

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
        try:
            run = client.get(path)
        except ApiUnreachable:
            continue  # an API server busy with the tasks' own calls may answer late: ask again
    wall = time.monotonic() - started
    if run["state"] != "success":
        raise SystemExit(f"the run failed: {run}")
    seconds = _seconds(run["end_date"]) - _seconds(run["start_date"])
    return {"seconds": round(seconds, 2), "tasks_per_second": round(TASKS / seconds, 2),
            "wall_seconds": round(wall, 2)}


def summary(runs: list[dict]) -> dict:
    return {"runs": runs,
            "median_seconds": round(statistics.median(r["seconds"] for r in runs), 2),
            "median_tasks_per_second": round(statistics.median(r["tasks_per_second"] for r in runs), 2),
            "median_cpu_ms_per_task": round(statistics.median(r["cpu_ms_per_task"] for r in runs)),
            "loaded_runs": sum(1 for r in runs if r["loaded"])}


def forks() -> int:
    """Processes created on the whole machine since boot (the machine is shared: a rough count)."""
    for line in Path("/proc/stat").read_text().splitlines():
        if line.startswith("processes "):
            return int(line.split()[1])
    return 0


def sessions(local: LocalEnvironment, database: str) -> int:
    """Connections PostgreSQL has accepted to ``database`` since its statistics began."""
    postgres = EmbeddedPostgres(local.paths, local.secrets)
    return int(postgres.psql(local.ports()["postgres"],
                             f"SELECT sessions FROM pg_stat_database WHERE datname = '{database}'") or 0)


def profiled_run(client: ApiClient, roots: list[int], local: LocalEnvironment, database: str) -> dict:
    """One timed run, with the CPU seconds each kind of process spent during it."""
    connections, load_at_trigger = sessions(local, database), load_average()
    before, forks_before, started = snapshot(roots), forks(), time.monotonic()
    result = timed_run(client)
    elapsed = time.monotonic() - started
    profile = cpu_by_process(before, snapshot(roots), elapsed)
    return {**result, "load_1m_at_trigger": load_at_trigger,
            "cpu_ms_per_task": round(profile["cpu_seconds_total"] * 1000 / TASKS),
            "forks_on_machine": forks() - forks_before,
            "database_connections_opened": sessions(local, database) - connections, **profile}


class Configuration:
    """One of the four configurations: start its components, run once, stop them."""

    def start(self) -> tuple[ApiClient, list[int]]:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    local: LocalEnvironment
    database: str

    def run(self) -> dict:
        client, roots = self.start()
        try:
            return profiled_run(client, roots, self.local, self.database)
        finally:
            self.stop()


def wait_healthy(url: str, what: str, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while not all_healthy(read_health(url, timeout=1)):
        if time.monotonic() > deadline:
            raise SystemExit(f"{what} did not become healthy within {timeout:.0f} s")
        time.sleep(0.5)


class Airhost(Configuration):
    """``airhost up`` once (virtualenv, database, settings); then each run starts and stops the
    Airflow components under airhost's process manager, as a warm ``up`` does."""

    def __init__(self, root: Path, name: str) -> None:
        airhost("up", name, "--config", str(root))
        self.local = LocalEnvironment(load_project(root), load_project(root).environment(name))
        self.database = DATABASE
        status = json.loads(airhost("status", name, "--config", str(root), "--output", "json",
                                    "--show-password"))
        self.url, self.user, self.password = status["url"], status["username"], status["password"]
        self.settings = rendered_settings(self.local)
        self.local.supervisor.stop(DAG_CHECKER)  # idle, but not part of what is measured
        self.stop()

    def start(self) -> tuple[ApiClient, list[int]]:
        for component in airflow_components(self.local.env):
            self.local.supervisor.start(component)
        wait_healthy(self.url, "airhost's Airflow")
        pids = [process["pid"] for process in self.local.supervisor.processes() if process["pid"]]
        return ApiClient(self.url, self.user, self.password, timeout=60), pids

    def stop(self) -> None:
        for component in reversed(airflow_components(self.local.env)):
            self.local.supervisor.stop(component)  # PostgreSQL and Redis stay, shared with stock


class Stock(Configuration):
    """Airflow's components with default settings, in the same virtualenv, PostgreSQL and Redis."""

    def __init__(self, local: LocalEnvironment, executor: str) -> None:
        self.local, self.executor, self.database = local, executor, f"stock_{executor}"
        self.home = Path(tempfile.mkdtemp(prefix=f"stock-{executor}-"))
        (self.home / "passwords.json").write_text(json.dumps({"admin": STOCK_PASSWORD}))
        self.port = free_port(18090)
        self.environment = stock_environment(local, executor, self.home, self.port)
        self.airflow = str(local.paths.airflow_bin)
        subprocess.run([self.airflow, "db", "migrate"], env=self.environment, check=True,
                       capture_output=True)
        self.processes: list[subprocess.Popen] = []

    def start(self) -> tuple[ApiClient, list[int]]:
        components = [["api-server"], ["scheduler"], ["dag-processor"], ["triggerer"]]
        if self.executor == "celery":
            components.append(["celery", "worker"])
        self.processes = [subprocess.Popen([self.airflow, *args], env=self.environment,
                                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                           start_new_session=True) for args in components]
        url = f"http://127.0.0.1:{self.port}"
        wait_healthy(url, f"stock Airflow ({self.executor})")
        # PostgreSQL's server process counts the connections it serves for either configuration
        postgres = [process["pid"] for process in self.local.supervisor.processes()
                    if process["name"] in ("postgres", "redis") and process["pid"]]
        return ApiClient(url, "admin", STOCK_PASSWORD, timeout=60), [p.pid for p in self.processes] + postgres

    def stop(self) -> None:
        for process in self.processes:
            os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=120)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        self.processes = []

    def remove(self) -> None:
        shutil.rmtree(self.home, ignore_errors=True)


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



def rendered_settings(local: LocalEnvironment) -> dict[str, str]:
    """The scheduler's rendered settings that touch throughput, for the record."""
    keys = ("PARALLELISM", "MAX_ACTIVE_TASKS_PER_DAG", "WORKER_CONCURRENCY", "EXECUTOR")
    text = (local.paths.env_files / "scheduler.env").read_text()
    pairs = (line.split("=", 1) for line in text.splitlines() if "=" in line)
    return {key: value.strip("'") for key, value in pairs
            if key.startswith("AIRFLOW__") and key.rsplit("__", 1)[-1] in keys}


def bench_executor(root: Path, name: str, executor: str, count: int, max_wait: float) -> dict:
    """airhost and stock runs interleaved (airhost, stock, airhost, …), each after a bounded wait
    for a quiet machine, each on freshly started components."""
    ours = Airhost(root, name)
    stock = Stock(ours.local, executor)
    try:
        runs = interleaved({"airhost": ours.run, "stock": stock.run}, count, max_wait=max_wait)
    finally:
        stock.stop()
        stock.remove()
        ours.stop()
    airhost("down", name, "--config", str(root))
    result = {kind: summary(kind_runs) for kind, kind_runs in runs.items()}
    result["airhost_settings"] = ours.settings
    result["ratio"] = round(result["airhost"]["median_tasks_per_second"]
                            / result["stock"]["median_tasks_per_second"], 2)
    result["pairwise_ratios"] = [round(a["tasks_per_second"] / b["tasks_per_second"], 2)
                                 for a, b in zip(runs["airhost"], runs["stock"])]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="DAG runs per configuration")
    parser.add_argument("--max-wait", type=float, default=120.0,
                        help="longest wait for a quiet machine before each run, seconds")
    parser.add_argument("--executors", default="local,celery", help="which executors to measure")
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
            if executor in args.executors.split(","):
                results[executor] = bench_executor(root, name, executor, args.runs, args.max_wait)
        measured = "bench-local" if "local" in results else "bench-celery"
        airflow_bin = root / ".airhost" / measured / "venv" / "bin" / "airflow"
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
        "cpu": "cpu_seconds: CPU time each kind of process spent during the run (own and reaped "
               "children's, from /proc), PostgreSQL's included; cpu_ms_per_task = their total / tasks; "
               "busy_cores = total / wall seconds; forks_on_machine counts every process created "
               "on the (shared) machine meanwhile",
        "notes": "stock = the same virtualenv and PostgreSQL server (own database), Airflow defaults; "
                 "the celery configurations run one worker on this machine's Redis; airhost and "
                 "stock runs interleaved (ABAB…), components started afresh for each run, each run "
                 "after a bounded wait for the one-minute load to drop below the CPU count (loaded = "
                 "true when the wait ran out)",
        **results,
    }
    path = write_result("throughput", result)
    print(json.dumps(result, indent=2))
    print(f"written to {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
