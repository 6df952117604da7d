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
    seconds: dict[str, float] = field(default_factory=dict)  # where the push spent its time

    def as_dict(self) -> dict[str, object]:
        return {"sync": self.plan.as_dict(), "seconds_to_visible": self.seconds_to_visible,
                "dags": self.visible, "import_problems": self.problems, "seconds": self.seconds}


def refuse_if_broken(check: CheckResult, force: bool) -> None:
    if check.ok or force:
        return
    raise BrokenDags(
        "not pushing: " + f"{len(check.problems)} DAG file(s) fail to import, nothing was uploaded:\n"
        + "\n".join(f"  {problem}" for problem in check.problems),
        hint="fix them and push again, or pass --force to push anyway",
    )


def apply_plan(plan: SyncPlan, source: Path, destination: Destination, report: Report) -> SyncPlan:
    """Upload and delete what ``plan`` says; the plan."""
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


def apply_sync(source: Path, destination: Destination, report: Report) -> SyncPlan:
    return apply_plan(plan_sync(folder_manifest(source), destination.manifest()), source, destination,
                      report)


def push_checked(check: CheckResult, source: Path, destination: Destination, client, *,
                 force: bool, timeout: float, report: Report, plan: SyncPlan | None = None,
                 local_clock: bool = False) -> PushResult:
    """Refuse broken DAGs, sync, then (with an API ``client``) wait until Airflow parsed the push.

    ``local_clock``: Airflow runs on this machine, so this clock, to the microsecond, says when the
    files were in place; otherwise the API server's Date header does, to the second.
    """
    refuse_if_broken(check, force)
    watcher = ParseWatcher(client) if client else None
    before = watcher.snapshot() if watcher else {}
    if plan is None:
        plan = plan_sync(folder_manifest(source), destination.manifest())
    started = time.monotonic()
    apply_plan(plan, source, destination, report)
    result = PushResult(plan=plan, problems=[str(p) for p in check.problems],
                        seconds={"upload": round(time.monotonic() - started, 2)})
    if watcher and not plan.empty:
        if local_clock:
            uploaded_at, slack = datetime.datetime.now(datetime.timezone.utc), 0.0
        else:
            uploaded_at, slack = client.server_time(), 1.0
        watcher.request_reparse(before, set(plan.changed), refresh_for_new=bool(plan.added))
        expected = {dag_id for dag_id, file in check.dags.items() if file in set(plan.uploads)}
        report("Waiting for Airflow to parse the new version")
        seconds, seen = watcher.wait(before, expected, set(plan.deleted), uploaded_at, timeout,
                                     slack=slack)
        result.seconds_to_visible = round(seconds, 2)
        result.seconds["wait"] = result.seconds_to_visible
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

    def request_reparse(self, before: dict[str, dict], files: set[str], *,
                        refresh_for_new: bool = False) -> None:
        """Ask Airflow to parse the changed files now, and (``refresh_for_new``) to look for new ones.

        A parse request names a file that already holds DAGs (Airflow authorises it against them)
        and also refreshes that file's bundle at once, which is how a new file is found without
        waiting for the bundle's refresh interval: with no changed file to name, one known file of
        each bundle is named.
        """
        tokens = {dag["file_token"]: None for dag in before.values()
                  if dag.get("relative_fileloc") in files and dag.get("file_token")}
        if refresh_for_new:
            named = {dag.get("bundle_name") for dag in before.values()
                     if dag.get("relative_fileloc") in files}
            for dag in sorted(before.values(), key=lambda item: item.get("dag_id", "")):
                bundle = dag.get("bundle_name")
                if bundle not in named and dag.get("file_token") and not dag.get("is_stale"):
                    tokens[dag["file_token"]] = None
                    named.add(bundle)
        for token in tokens:
            try:
                self.client.put(f"/api/v2/parseDagFile/{token}")
            except ApiHttpError:
                pass  # the periodic refresh will still pick the file up

    def wait(self, before: dict[str, dict], expected: set[str], removed_files: set[str],
             uploaded_at: datetime.datetime, timeout: float,
             slack: float = 1.0) -> tuple[float, dict[str, str]]:
        """Wait until each expected DAG was parsed after the upload and removed files' DAGs are gone.

        ``uploaded_at`` is when the files were in place (they are replaced atomically), read from a
        clock ``slack`` seconds coarse: the API server's Date header has whole seconds, so only a
        parse that finished a full second after it surely read the new files.
        """
        threshold = uploaded_at + datetime.timedelta(seconds=slack)
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
            self.sleep(0.25)


def _timestamp(text: str | None) -> datetime.datetime | None:
    if not text:
        return None
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
