"""Where a task's time goes: a sampling profile of the throughput bench's DAG run.

Starts airhost's local environment (LocalExecutor) on the throughput bench's 200-task fan-out, then
samples the two processes the tasks' CPU is spent in while one DAG run goes through, with py-spy:

  scheduler    and every process under it: the executor's workers, each task's supervisor (in the
               worker) and its runner (forked from the supervisor)
  API server   the Task Execution API every task calls, and the public API the bench polls

Each sample is put in one phase (first rule that matches its stack, below); the result is each
phase's share of its process tree's samples. Sampling slows the run, so its tasks per second are
not a throughput figure; the shares are what to read. A second, unprofiled DAG run on the same
components (its executor workers now warm) is timed beside the first, unprofiled one on fresh
components: what a long-running scheduler saves over the bench's fresh start.

Needs py-spy (``pip install -e '.[bench]'``) and leave to trace processes (root, or
kernel.yama.ptrace_scope = 0).

Run: python bench/task_profile.py [--rate HZ]   (writes bench/results/task_profile.json)
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import load_average, wait_for_quiet, write_result  # noqa: E402
from bench.throughput import ENVIRONMENTS, FAN_OUT, Airhost, airhost, timed_run  # noqa: E402

# (phase, patterns that must appear in this order down the stack), first match wins; frames are
# as py-spy prints them, "function (file:line)". A sample no rule takes is "other".
SCHEDULER_PHASES = [
    ("task runner: parse the DAG file (builds all 200 operators)", [r"^parse \(.*task_runner\.py"]),
    ("task runner: run the task and report its outcome", [r"^_run_task_and_map_outcome \("]),
    ("task runner: start-up (imports, logging, start message)", [r"^_subprocess_main \("]),
    ("executor worker: imports at its first task", [r"^_run_worker \(", r"^<module> \("]),
    ("task supervisor: API client and its TLS context", [r"^_run_worker \(", r"^_ensure_client \("]),
    ("task supervisor: fork, relay, heartbeats", [r"^_run_worker \("]),
    ("scheduler loop", [r"^SchedulerJobRunner\._run_scheduler_loop \("]),
]
API_SERVER_PHASES = [
    ("execution API: task starts (ti_run)", [r"^ti_run \("]),
    ("execution API: heartbeats", [r"^ti_heartbeat \("]),
    ("execution API: state updates", [r"^ti_update_state \("]),
    ("execution API: rendered fields", [r"^ti_put_rtif \("]),
    ("execution API: XCom", [r"^(set_xcom|get_xcom) \("]),
    ("public API (the bench's polls)", [r"\(.*api_fastapi/core_api/routes/"]),
    ("token checks (JWT)", [r"\(.*api_fastapi/(auth/tokens|execution_api/security)\.py"]),
    ("access log", [r"^HttpAccessLogMiddleware"]),
]


def _in_order(frames: list[str], rules: list[re.Pattern[str]]) -> bool:
    waiting = iter(rules)
    rule = next(waiting, None)
    for frame in frames:
        if rule is not None and rule.search(frame):
            rule = next(waiting, None)
    return rule is None


def classify(path: Path, phases: list[tuple[str, list[str]]]) -> dict[str, float]:
    """Each phase's share (%) of the samples in a py-spy ``raw`` (collapsed stacks) file."""
    compiled = [(name, [re.compile(p) for p in patterns]) for name, patterns in phases]
    counts: collections.Counter[str] = collections.Counter()
    for line in path.read_text().splitlines():
        stack, _, number = line.rpartition(" ")
        frames = stack.split(";")[1:]  # the first names the process
        phase = next((name for name, rules in compiled if _in_order(frames, rules)), "other")
        counts[phase] += int(number)
    total = sum(counts.values()) or 1
    return {name: round(100 * count / total, 1) for name, count in counts.most_common()}


def py_spy() -> str | None:
    """py-spy beside this Python (its virtualenv's bin), else on the PATH."""
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


def sampled_run(ours: Airhost, rate: int, folder: Path) -> dict:
    client, _ = ours.start()
    processes = {p["name"]: p["pid"] for p in ours.local.supervisor.processes() if p["pid"]}
    outputs = {name: folder / f"{name}.txt" for name in ("scheduler", "api-server")}
    spies = [subprocess.Popen([str(py_spy()), "record", "--rate", str(rate),
                               "--format", "raw", "--gil", "--nonblocking", "--output", str(out),
                               "--pid", str(processes[name]),
                               *(["--subprocesses"] if name == "scheduler" else [])],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
             for name, out in outputs.items()]
    try:
        time.sleep(2)  # py-spy attaches
        run = timed_run(client)
    finally:
        for spy in spies:
            spy.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
        for spy in spies:
            spy.wait(120)
        ours.stop()
    return {"run_while_sampled": run,
            "scheduler_tree": classify(outputs["scheduler"], SCHEDULER_PHASES),
            "api_server": classify(outputs["api-server"], API_SERVER_PHASES)}


def fresh_and_warm(ours: Airhost, max_wait: float) -> dict:
    """Two unprofiled DAG runs on the same components: the first on fresh executor workers."""
    client, _ = ours.start()
    try:
        runs = []
        for _ in range(2):
            taken = wait_for_quiet(None, max_wait)
            runs.append({**timed_run(client), **taken})
    finally:
        ours.stop()
    return {"fresh_components": runs[0], "same_components_again": runs[1]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=50, help="samples per second")
    parser.add_argument("--max-wait", type=float, default=120.0,
                        help="longest wait for a quiet machine before each run, seconds")
    args = parser.parse_args()
    if not py_spy():
        raise SystemExit("py-spy is not installed: pip install -e '.[bench]'")
    folder = Path(tempfile.mkdtemp(prefix="bench-profile-", dir="/tmp"))
    os.chmod(folder, 0o755)  # PostgreSQL runs as the postgres user when root
    root = folder / "project"
    airhost("init", str(root), "--name", "bench")
    config = root / "airhost.yaml"
    config.write_text(config.read_text().replace("environments:\n", "environments:" + ENVIRONMENTS, 1))
    (root / "dags" / "fan_out.py").write_text(FAN_OUT)
    try:
        ours = Airhost(root, "bench-local")
        timing = fresh_and_warm(ours, args.max_wait)
        load = wait_for_quiet(None, args.max_wait)
        profile = sampled_run(ours, args.rate, folder)
    finally:
        subprocess.run([sys.executable, "-m", "airhost", "down", "bench-local", "--config", str(root)],
                       capture_output=True, check=False)
        shutil.rmtree(folder, ignore_errors=True)
    result = {
        "dag": "the throughput bench's 200 independent trivial @task functions, LocalExecutor",
        "unit": "share (%) of the samples py-spy took of each process tree while it was on a CPU",
        "sample_rate_hz": args.rate,
        "load_1m_before_sampled_run": load["load_1m"],
        "load_1m_after": load_average(),
        "airhost_settings": ours.settings,
        **timing,
        **profile,
    }
    path = write_result("task_profile", result)
    print(json.dumps(result, indent=2))
    print(f"written to {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
