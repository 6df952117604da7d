"""Where the CPU goes during a benchmark run: CPU seconds per process, read from /proc.

A snapshot records, for every process under the given roots, its own CPU time (utime + stime) and
the CPU time of its children that exited and were reaped (cutime + cstime): short-lived processes
(a task's supervisor and runner, a ``cat`` run for a ``*_CMD`` setting) are counted in the process
that waited for them. The difference of two snapshots, grouped by what each process is, says which
component spent the run's CPU. Linux only; elsewhere the snapshots are empty.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat(pid: int) -> tuple[int, float, float] | None:
    """(parent pid, own CPU seconds, reaped children's CPU seconds)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rfind(")") + 2:].split()  # after "pid (comm) "
    parent = int(fields[1])
    utime, stime, cutime, cstime = (int(value) for value in fields[11:15])
    return parent, (utime + stime) / TICKS, (cutime + cstime) / TICKS


def own_cpu_seconds(pid: int) -> float:
    """CPU seconds one process has spent itself so far; 0 when it is gone."""
    stat = _stat(pid)
    return stat[1] if stat else 0.0


def _name(pid: int) -> str:
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return "?"
    words = [word.decode(errors="replace") for word in argv if word]
    if not words:
        return "?"
    text = " ".join(words)
    if text.startswith("postgres:"):
        return "postgres backend" if "airflow" in text or "idle" in text else "postgres"
    if "LocalExecutor" in text:
        return "local executor worker"
    if text.startswith("airflow supervisor:"):
        return "task supervisor"  # a Celery worker's task: supervisor and (reaped) task runner
    for component in ("api_server", "api-server", "scheduler", "dag-processor", "triggerer",
                      "serve-logs", "celery", "supervise", "task-runner"):
        if component in text:
            return {"api_server": "api-server"}.get(component, component)
    return re.sub(r".*/", "", words[0])


def snapshot(roots: list[int]) -> dict[int, tuple[str, float, float]]:
    """pid → (what it is, own CPU s, reaped children's CPU s) for ``roots`` and their descendants."""
    parents: dict[int, int] = {}
    stats: dict[int, tuple[float, float]] = {}
    for entry in Path("/proc").iterdir() if Path("/proc").is_dir() else []:
        if not entry.name.isdigit():
            continue
        stat = _stat(int(entry.name))
        if stat:
            parents[int(entry.name)] = stat[0]
            stats[int(entry.name)] = stat[1], stat[2]
    wanted = set(roots)
    changed = True
    while changed:
        changed = False
        for pid, parent in parents.items():
            if parent in wanted and pid not in wanted:
                wanted.add(pid)
                changed = True
    return {pid: (_name(pid), *stats[pid]) for pid in wanted if pid in stats}


def cpu_by_process(before: dict[int, tuple[str, float, float]],
                   after: dict[int, tuple[str, float, float]], seconds: float) -> dict:
    """CPU seconds spent between two snapshots, by kind of process, and in total.

    A process that started after ``before`` counts from zero; one that ended before ``after`` is
    counted in its parent's reaped time (when the parent waited for it) and not otherwise."""
    spent: dict[str, float] = {}
    for pid, (name, own, children) in after.items():
        own_before, children_before = before.get(pid, (name, 0.0, 0.0))[1:]
        if pid not in before:
            own_before = children_before = 0.0
        delta = (own - own_before) + (children - children_before)
        if delta > 0:
            spent[name] = spent.get(name, 0.0) + delta
    total = sum(spent.values())
    return {"cpu_seconds": {name: round(value, 1) for name, value in
                            sorted(spent.items(), key=lambda item: -item[1])},
            "cpu_seconds_total": round(total, 1),
            "busy_cores": round(total / seconds, 2) if seconds > 0 else None}
