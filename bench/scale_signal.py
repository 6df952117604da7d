"""How soon real Airflow reports a burst as the per-queue backlog the ECS worker groups scale on.

The Airflow end of the scale-out path (see airhost/render/ecs/backlog.py): the scheduler's
``ti.queued`` and ``ti.running`` DogStatsD gauges, tagged by queue. A UDP listener stands where the
CloudWatch agent stands on ECS. For each burst (a DAG of ``TASKS`` sleeping tasks, triggered through
the REST API) it measures the time from the trigger to the first report of any backlog, and to the
report of the whole burst (the sum over each task's latest gauge, as the agent rolls it up), with:

  airhost   the [metrics] and [scheduler] settings airhost renders for a Celery scheduler on ECS
            (ti_metrics_interval 5 s)
  stock     the same settings but Airflow's default ti_metrics_interval (30 s)

Both run the same local environment (LocalExecutor; the gauges come from the scheduler whatever
the executor), one after the other. The AWS side is not measured here: the CloudWatch agent's 10 s
collection and 10 s flush, and the alarm's 10 s period and evaluation, add at most about 40 s.

Run: python bench/scale_signal.py [--bursts N]   (writes bench/results/scale_signal.json)
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import write_result  # noqa: E402
from airhost.config.loader import load_project  # noqa: E402
from airhost.airflow_api import ApiClient  # noqa: E402
from airhost.render.airflow_env import render_airflow_env  # noqa: E402
from airhost.render.ecs.tasks import ecs_site  # noqa: E402

TASKS = 20
PORT = 8794
AWS_SIDE_BOUND_SECONDS = 40  # agent collection 10 + flush 10 + alarm period 10 + evaluation 10
BURST = f'''\
import time

import pendulum
from airflow.sdk import dag, task


@dag(schedule=None, start_date=pendulum.datetime(2024, 1, 1), catchup=False, max_active_tasks=64)
def burst():
    @task
    def work(number: int) -> int:
        time.sleep(90)
        return number

    for number in range({TASKS}):
        work.override(task_id=f"work_{{number:02d}}")(number)


burst()
'''
GAUGE = re.compile(r"^airflow\.(ti\.queued|ti\.running):([0-9.]+)\|g\|#(.*)$")


def airhost(*args: str) -> str:
    result = subprocess.run([sys.executable, "-m", "airhost", *args], capture_output=True, text=True,
                            cwd=ROOT, timeout=900)
    if result.returncode:
        raise SystemExit(f"airhost {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def metric_settings(statsd_port: int, interval: int | None) -> dict[str, dict[str, str]]:
    env = load_project(ROOT / "examples" / "ecs").environment("fg-split-alb")
    settings: dict[str, dict[str, str]] = {}
    for name, value in render_airflow_env(env, "scheduler", ecs_site(env)).values.items():
        section, _, key = name.removeprefix("AIRFLOW__").partition("__")
        if section == "METRICS" or key == "TI_METRICS_INTERVAL":
            settings.setdefault(section.lower(), {})[key.lower()] = value
    settings["metrics"]["statsd_port"] = str(statsd_port)
    if interval is None:
        del settings["scheduler"]  # Airflow's default interval
    return settings


def make_project(folder: Path, statsd_port: int, interval: int | None) -> Path:
    root = folder / ("airhost" if interval else "stock")
    airhost("init", str(root), "--name", "signal")
    config = root / "airhost.yaml"
    project = yaml.safe_load(config.read_text())
    project["airflow"]["config"].update(metric_settings(statsd_port, interval))
    project["environments"]["local"]["local"]["port"] = PORT
    config.write_text(yaml.safe_dump(project, sort_keys=False))
    with (root / "requirements.txt").open("a") as requirements:
        requirements.write("\ndatadog\n")
    (root / "dags" / "burst.py").write_text(BURST)
    return root


def drain(listener: socket.socket) -> None:
    listener.settimeout(0.2)
    while True:
        try:
            listener.recv(65536)
        except TimeoutError:
            return


def one_burst(client: ApiClient, listener: socket.socket) -> dict[str, float]:
    drain(listener)
    start = time.monotonic()
    run_id = client.post("/api/v2/dags/burst/dagRuns", {"logical_date": None})["dag_run_id"]
    latest: dict[tuple[str, str], float] = {}
    first_seen = None
    listener.settimeout(1.0)
    while True:
        if time.monotonic() - start > 120:
            raise SystemExit("the burst was not reported within 120 s")
        try:
            datagram = listener.recv(65536).decode()
        except TimeoutError:
            continue
        for line in datagram.splitlines():
            match = GAUGE.match(line)
            if match:
                latest[(match.group(1), match.group(3))] = float(match.group(2))
        total = sum(latest.values())
        if total > 0 and first_seen is None:
            first_seen = time.monotonic() - start
        if total >= TASKS:
            whole = time.monotonic() - start
            break
    client.patch(f"/api/v2/dags/burst/dagRuns/{urllib.parse.quote(run_id)}", {"state": "failed"})
    return {"first_seen_s": round(first_seen or whole, 2), "whole_burst_s": round(whole, 2)}


def measure(root: Path, listener: socket.socket, bursts: int) -> list[dict[str, float]]:
    airhost("up", "--config", str(root))
    try:
        status = json.loads(airhost("status", "--config", str(root), "--output", "json", "--show-password"))
        client = ApiClient(status["url"], status["username"], status["password"])
        deadline = time.monotonic() + 120
        while True:
            try:
                client.get("/api/v2/dags/burst")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("the burst DAG was not parsed")
                time.sleep(1)
        client.patch("/api/v2/dags/burst", {"is_paused": False})
        results = []
        for number in range(bursts):
            results.append(one_burst(client, listener))
            print(f"  burst {number + 1}: {results[-1]}", flush=True)
            # the failed run's tasks end and their gauges return to zero; pauses of different
            # lengths keep the bursts from falling at the same point of the gauge interval
            time.sleep(15 + (number * 11) % 29)
        return results
    finally:
        airhost("down", "--config", str(root))


def summary(results: list[dict[str, float]]) -> dict[str, float]:
    whole = [r["whole_burst_s"] for r in results]
    first = [r["first_seen_s"] for r in results]
    return {"first_seen_median_s": round(statistics.median(first), 2),
            "whole_burst_median_s": round(statistics.median(whole), 2),
            "whole_burst_max_s": round(max(whole), 2),
            "decision_bound_s": round(max(whole) + AWS_SIDE_BOUND_SECONDS, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bursts", type=int, default=5)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="airhost-signal-", dir="/tmp"))
    os.chmod(folder, 0o755)  # PostgreSQL runs as the postgres user when root
    listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    configurations = {"airhost": 5, "stock": None}
    data: dict[str, object] = {"tasks": TASKS, "bursts": args.bursts,
                               "aws_side_bound_s": AWS_SIDE_BOUND_SECONDS, "results": {}}
    try:
        for name, interval in configurations.items():
            print(f"{name}: ti_metrics_interval {interval or 'default (30)'}", flush=True)
            results = measure(make_project(folder, port, interval), listener, args.bursts)
            data["results"][name] = {"ti_metrics_interval_s": interval or 30, "bursts": results,
                                     **summary(results)}
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    path = write_result("scale_signal", data)
    print(json.dumps(data["results"], indent=2))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
