"""Shared pieces of the benchmarks: the machine's description and writing results."""

from __future__ import annotations

import datetime
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

from airhost import __version__

RESULTS = Path(__file__).resolve().parent / "results"


def machine() -> dict[str, Any]:
    memory_kib = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_kib = int(line.split()[1])
    except OSError:
        pass
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "memory_gib": round(memory_kib / 1024 / 1024, 1),
        "processor": platform.processor() or platform.machine(),
        # set here, Python never writes byte code back: only what an install compiled is cached
        "python_dont_write_bytecode": bool(os.environ.get("PYTHONDONTWRITEBYTECODE")),
    }


def write_result(name: str, data: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    document = {
        "benchmark": name,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "airhost_version": __version__,
        "machine": machine(),
        **data,
    }
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(document, indent=2) + "\n")
    return path


def load_average() -> float:
    """The one-minute load average."""
    return round(os.getloadavg()[0], 2)


def wait_for_quiet(threshold: float | None = None, max_wait: float = 120.0) -> dict[str, Any]:
    """Wait (bounded) until the one-minute load is below ``threshold`` (default: the CPU count).

    Returns what a run was taken at: the load when it started, how long it waited, and whether the
    machine was still loaded when the wait ran out (the figure is then a loaded machine's).
    """
    limit = threshold if threshold is not None else float(os.cpu_count() or 1)
    started = time.monotonic()
    while load_average() >= limit and time.monotonic() - started < max_wait:
        time.sleep(5)
    load = load_average()
    taken = {"load_1m": load, "waited_s": round(time.monotonic() - started, 1),
             "loaded": load >= limit}
    if taken["loaded"]:
        print(f"  (machine still loaded: load {load} >= {limit} after {max_wait:.0f} s; running anyway)",
              file=sys.stderr)
    return taken


def interleaved(kinds: dict[str, Any], runs: int, *, threshold: float | None = None,
                max_wait: float = 120.0) -> dict[str, list[dict[str, Any]]]:
    """Run each kind ``runs`` times as ABAB…, each run after a (bounded) wait for a quiet machine.

    ``kinds`` maps a name to a function returning seconds, or a dict of what the run measured
    (with ``seconds``). Each run is recorded with its load.
    """
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in kinds}
    for number in range(runs):
        for name, run in kinds.items():
            taken = wait_for_quiet(threshold, max_wait)
            outcome = run()
            measured = outcome if isinstance(outcome, dict) else {"seconds": round(outcome, 2)}
            results[name].append({**measured, **taken, "load_1m_after": load_average()})
            print(f"  {name} #{number + 1}: {measured['seconds']:.1f} s (load {taken['load_1m']}"
                  f"{', loaded' if taken['loaded'] else ''})", file=sys.stderr)
    return results
