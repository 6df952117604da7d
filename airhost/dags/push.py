"""``dags push``: check → plan the sync → upload and delete → ask Airflow to re-parse → wait.

A DAG folder with import errors is refused before anything is uploaded (unless forced). Only
changed files move. When Airflow's API is reachable, the push waits until every changed DAG has been
parsed again, every new one appears and every removed one is gone, and says how long that took.
"""

from __future__ import annotations

import datetime
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from airhost.airflow_api import ApiHttpError
from airhost.dags.check import CheckResult
from airhost.dags.destinations import Destination
from airhost.dags.manifest import SyncPlan, folder_manifest, plan_sync
from airhost.errors import AirhostError

Report = Callable[[str], None]


class BrokenDags(AirhostError):
    """The DAGs do not import; nothing was pushed."""

    exit_code = 1


@dataclass
class PushResult:
    plan: SyncPlan
    seconds_to_visible: float | None = None
    visible: dict[str, str] = field(default_factory=dict)  # dag id → what was seen
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {"sync": self.plan.as_dict(), "seconds_to_visible": self.seconds_to_visible,
                "dags": self.visible, "import_problems": self.problems}


def refuse_if_broken(check: CheckResult, force: bool) -> None:
    if check.ok or force:
        return
    raise BrokenDags(
        "not pushing: " + f"{len(check.problems)} DAG file(s) fail to import, nothing was uploaded:\n"
        + "\n".join(f"  {problem}" for problem in check.problems),
        hint="fix them and push again, or pass --force to push anyway",
    )


def apply_sync(source: Path, destination: Destination, report: Report) -> SyncPlan:
    plan = plan_sync(folder_manifest(source), destination.manifest())
    for relative in plan.uploads:
        destination.upload(relative, source / relative)
    for relative in plan.deleted:
        destination.delete(relative)
    if plan.empty:
        report(f"DAGs already up to date in {destination.description} ({plan.unchanged} files)")
    else:
        report(f"Uploaded {len(plan.added)} new and {len(plan.changed)} changed file(s), deleted "
               f"{len(plan.deleted)}, {plan.unchanged} unchanged, to {destination.description}")
    return plan


def push_checked(check: CheckResult, source: Path, destination: Destination, client, *,
                 force: bool, timeout: float, report: Report) -> PushResult:
    """Refuse broken DAGs, sync, then (with an API ``client``) wait until Airflow parsed the push."""
    refuse_if_broken(check, force)
    watcher = ParseWatcher(client) if client else None
    before = watcher.snapshot() if watcher else {}
    plan = apply_sync(source, destination, report)
    result = PushResult(plan=plan, problems=[str(p) for p in check.problems])
    if watcher and not plan.empty:
        uploaded_at = client.server_time()
        watcher.request_reparse(before, set(plan.changed))
        expected = {dag_id for dag_id, file in check.dags.items() if file in set(plan.uploads)}
        report("Waiting for Airflow to parse the new version")
        seconds, seen = watcher.wait(before, expected, set(plan.deleted), uploaded_at, timeout)
        result.seconds_to_visible = round(seconds, 2)
        result.visible = seen
    return result


class ParseWatcher:
    """Watches DAGs through the REST API until a push is visible."""

    def __init__(self, client, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.client = client
        self.clock = clock
        self.sleep = sleep

    def snapshot(self) -> dict[str, dict]:
        """Every DAG Airflow knows: id → its details (last parse time, file, staleness)."""
        dags: dict[str, dict] = {}
        offset = 0
        while True:
            page = self.client.get(f"/api/v2/dags?limit=100&offset={offset}&exclude_stale=false")
            for dag in page["dags"]:
                dags[dag["dag_id"]] = dag
            offset += len(page["dags"])
            if not page["dags"] or offset >= page["total_entries"]:
                return dags

    def request_reparse(self, before: dict[str, dict], files: set[str]) -> None:
        for dag in before.values():
            if dag.get("relative_fileloc") in files and dag.get("file_token"):
                try:
                    self.client.put(f"/api/v2/parseDagFile/{dag['file_token']}")
                except ApiHttpError:
                    pass  # the periodic refresh will still pick the file up

    def wait(self, before: dict[str, dict], expected: set[str], removed_files: set[str],
             uploaded_at: datetime.datetime, timeout: float) -> tuple[float, dict[str, str]]:
        """Wait until each expected DAG was parsed after the upload and removed files' DAGs are gone.

        ``uploaded_at`` is the API server's own clock once the files were in place; a parse that
        finished a full second after it read the new files (they are replaced atomically).
        """
        threshold = uploaded_at + datetime.timedelta(seconds=1)
        started = self.clock()
        while True:
            now = self.snapshot()
            seen: dict[str, str] = {}
            pending: list[str] = []
            for dag_id in sorted(expected):
                current = now.get(dag_id)
                parsed = _timestamp(current.get("last_parsed_time")) if current else None
                if current and not current.get("is_stale") and parsed and parsed > threshold:
                    seen[dag_id] = "new" if dag_id not in before else "parsed"
                else:
                    pending.append(dag_id)
            for dag_id, dag in before.items():
                if dag.get("relative_fileloc") in removed_files and dag_id not in expected:
                    if dag_id not in now or now[dag_id].get("is_stale"):
                        seen[dag_id] = "removed"
                    else:
                        pending.append(dag_id)
            if not pending:
                return self.clock() - started, seen
            if self.clock() - started > timeout:
                raise AirhostError(
                    f"pushed, but Airflow had not picked up {', '.join(sorted(pending))} after "
                    f"{timeout:.0f} s",
                    hint="check 'airhost logs' for the dag-processor; the files are in place",
                )
            self.sleep(0.5)


def _timestamp(text: str | None) -> datetime.datetime | None:
    if not text:
        return None
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
