"""Time from `airhost up` to a healthy Airflow, cold and warm, beside `airflow standalone`.

cold: a new project, no virtualenv and no database (the package download cache is left as it is,
      as on any machine that installed Airflow before; the result says so).
warm: the same project again after `airhost down` (virtualenv and database kept).
standalone: `airflow standalone` from the same virtualenv, fresh AIRFLOW_HOME each run, timed to the
      same health endpoint — Airflow's own one-command local start, the natural baseline.
api server alone: the warm project up, then only its API server restarted and timed until it
      answers the health endpoint, the rest idle: what Airflow's own API server takes to build its
      application and serve, the floor under any start that ends with the API answering.

warm and standalone runs are interleaved (warm, standalone, warm, …) in one invocation, and each
waits (bounded) for the one-minute load to drop below the CPU count; every run records its load.

Run: python bench/local_up.py [--runs N] [--quiet-load L] [--max-wait S]
(writes bench/results/local_up.json)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import interleaved, wait_for_quiet, write_result  # noqa: E402
from bench.process_cpu import own_cpu_seconds  # noqa: E402
from airhost.airflow_api import all_healthy, read_health  # noqa: E402
from airhost.config import load_project  # noqa: E402
from airhost.local.environment import LocalEnvironment  # noqa: E402
from airhost.local.ports import free_port  # noqa: E402


def airhost(*args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([sys.executable, "-m", "airhost", *args], capture_output=True, text=True,
                            check=False)
    if result.returncode != 0:
        raise SystemExit(f"airhost {' '.join(args)} failed:\n{result.stderr}")
    return result


def timed_up(root: Path) -> float:
    started = time.monotonic()
    airhost("up", "--config", str(root))
    return time.monotonic() - started


def standalone(airflow_bin: Path, timeout: float = 300) -> float:
    home = Path(tempfile.mkdtemp(prefix="standalone-"))
    port = free_port(18080)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env["PATH"] = f"{airflow_bin.parent}{os.pathsep}{env.get('PATH', '')}"  # standalone runs `airflow`
    env.update(AIRFLOW_HOME=str(home), AIRFLOW__API__PORT=str(port),
               AIRFLOW__CORE__LOAD_EXAMPLES="False",
               AIRFLOW__CORE__EXECUTION_API_SERVER_URL=f"http://localhost:{port}/execution/")
    started = time.monotonic()
    process = subprocess.Popen([str(airflow_bin), "standalone"], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        while time.monotonic() - started < timeout:
            if all_healthy(read_health(f"http://127.0.0.1:{port}", timeout=1)):
                return time.monotonic() - started
            time.sleep(0.25)
        raise SystemExit("airflow standalone did not become healthy")
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        shutil.rmtree(home, ignore_errors=True)


def api_server_alone(root: Path, timeout: float = 300) -> dict:
    """Restart only the API server of the running project; seconds until it answers, and its CPU."""
    local = LocalEnvironment(load_project(root), load_project(root).environment("local"))
    url = local.api_url()
    if not url:
        raise SystemExit("the project is not up")
    local.supervisor.stop("api-server")
    started = time.monotonic()
    local.supervisor.start("api-server")
    while read_health(url, timeout=1)["api_server"] != "healthy":
        if time.monotonic() - started > timeout:
            raise SystemExit("the API server did not answer")
        time.sleep(0.1)
    seconds = time.monotonic() - started
    pid = next(p["pid"] for p in local.supervisor.processes() if p["name"] == "api-server")
    return {"seconds": round(seconds, 2), "cpu_seconds": round(own_cpu_seconds(pid), 2)}


def median(runs: list[dict]) -> float:
    return round(statistics.median(run["seconds"] for run in runs), 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="warm and standalone runs (each)")
    parser.add_argument("--quiet-load", type=float, default=None,
                        help="one-minute load to wait for before each run (default: CPU count)")
    parser.add_argument("--max-wait", type=float, default=120.0, help="longest wait for it, seconds")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-up-", dir="/tmp"))
    os.chmod(folder, 0o755)
    root = folder / "project"
    airhost("init", str(root), "--name", "bench")
    airflow_bin = root / ".airhost" / "local" / "venv" / "bin" / "airflow"

    def warm() -> float:
        seconds = timed_up(root)
        airhost("down", "--config", str(root))  # untimed: the next run starts from a stopped machine
        return seconds

    try:
        cold_taken = wait_for_quiet(args.quiet_load, args.max_wait)
        cold = timed_up(root)
        airhost("down", "--config", str(root))
        print(f"cold up: {cold:.1f} s (load {cold_taken['load_1m']})", file=sys.stderr)
        runs = interleaved({"airhost_up_warm": warm,
                            "airflow_standalone": lambda: standalone(airflow_bin)},
                           args.runs, threshold=args.quiet_load, max_wait=args.max_wait)
        airhost("up", "--config", str(root))
        alone = []
        for _ in range(args.runs):
            taken = wait_for_quiet(args.quiet_load, args.max_wait)
            alone.append({**api_server_alone(root), **taken})
        airhost("down", "--config", str(root))
        version = subprocess.run([str(airflow_bin), "version"], capture_output=True, text=True).stdout
    finally:
        subprocess.run([sys.executable, "-m", "airhost", "down", "--config", str(root)],
                       capture_output=True, check=False)
        shutil.rmtree(folder, ignore_errors=True)
    warm_median, standalone_median = median(runs["airhost_up_warm"]), median(runs["airflow_standalone"])
    result = {
        "airflow_version": version.strip().splitlines()[-1] if version.strip() else None,
        "unit": "seconds from command start to /api/v2/monitor/health all healthy",
        "notes": "cold = new virtualenv and database, package cache warm; warm = after airhost down; "
                 "standalone = airflow standalone (SQLite, LocalExecutor) from the same virtualenv; "
                 "warm and standalone interleaved, each run after a bounded wait for a quiet machine "
                 "(load_1m below quiet_load; loaded = true when the wait ran out)",
        "quiet_load": args.quiet_load if args.quiet_load is not None else float(os.cpu_count() or 1),
        "airhost_up_cold": {"seconds": round(cold, 2), **cold_taken},
        "airhost_up_warm": {"runs": runs["airhost_up_warm"], "median": warm_median},
        "airflow_standalone": {"runs": runs["airflow_standalone"], "median": standalone_median},
        "api_server_alone": {"runs": alone, "median": median(alone),
                             "median_cpu_seconds": round(statistics.median(
                                 run["cpu_seconds"] for run in alone), 2)},
        "floor_to_standalone": round(median(alone) / standalone_median, 2),
        "warm_to_standalone": round(warm_median / standalone_median, 2),
        "pairwise_ratios": [round(a["seconds"] / b["seconds"], 2) for a, b in
                            zip(runs["airhost_up_warm"], runs["airflow_standalone"])],
    }
    path = write_result("local_up", result)
    print(json.dumps(result, indent=2))
    print(f"written to {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
