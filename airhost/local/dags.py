"""``dags push`` and ``dags list`` on the local target.

The local environment's Airflow reads a published copy of the project's DAG folder (its local DAG
bundle), exactly as a cloud environment reads its S3 bundle: editing ``dags/`` changes nothing until
the DAGs are checked and pushed.
"""

from __future__ import annotations

from airhost.dags.check import CheckResult, check_dags
from airhost.dags.destinations import FolderDestination
from airhost.dags.push import ParseWatcher, PushResult, Report, apply_sync, refuse_if_broken
from airhost.errors import LocalError
from airhost.local import python_env
from airhost.local.environment import LocalEnvironment


def check_local(local: LocalEnvironment, report: Report) -> CheckResult:
    """Import the project's DAGs with the environment's Airflow (building its virtualenv if needed)."""
    plan = python_env.install_plan(local.env, local.project.root)
    if not python_env.is_current(local.paths, plan):
        report(f"Installing {plan.requirement} to check the DAGs with it")
    python_env.ensure_virtualenv(local.paths, plan, report)
    if not local.project_dags.is_dir():
        raise LocalError(f"the DAG folder {local.project_dags} does not exist",
                         hint="create it or set dags.folder in airhost.yaml")
    report(f"Checking {local.env.dags.folder}/ with Airflow {local.env.airflow.version}")
    return check_dags(local.paths.venv / "bin" / "python", local.project_dags)


def push_local(local: LocalEnvironment, *, force: bool, wait: bool, timeout: float,
               report: Report) -> PushResult:
    if local.env.dags.source != "bundle":
        raise LocalError(
            f"environment '{local.env.name}' reads DAGs with source {local.env.dags.source}",
            hint="'dags push' ships a DAG bundle: with source image rebuild the image, with git push "
                 "to the repository",
        )
    check = check_local(local, report)
    refuse_if_broken(check, force)
    client = local.api_client() if wait else None
    watcher = ParseWatcher(client) if client else None
    before = watcher.snapshot() if watcher else {}
    plan = apply_sync(local.project_dags, FolderDestination(local.paths.bundle), report)
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


def _last_line(text: str | None) -> str:
    lines = (text or "").strip().splitlines()
    return lines[-1] if lines else ""


def list_local(local: LocalEnvironment) -> dict:
    """DAGs Airflow knows with their latest version, and the current import errors."""
    client = local.api_client()
    dags = ParseWatcher(client).snapshot()
    listed = []
    for dag_id, dag in sorted(dags.items()):
        versions = client.get(f"/api/v2/dags/{dag_id}/dagVersions?order_by=-version_number&limit=1")
        latest = (versions.get("dag_versions") or [{}])[0]
        listed.append({
            "dag_id": dag_id, "file": dag.get("relative_fileloc"), "paused": dag.get("is_paused"),
            "stale": dag.get("is_stale"), "version": latest.get("version_number"),
            "bundle": dag.get("bundle_name"), "bundle_version": dag.get("bundle_version"),
            "last_parsed": dag.get("last_parsed_time"),
        })
    errors = client.get("/api/v2/importErrors?limit=100")["import_errors"]
    return {
        "environment": local.env.name,
        "dags": listed,
        "import_errors": [{"file": e.get("filename"), "error": _last_line(e.get("stack_trace"))}
                          for e in errors],
    }
