"""``dags list``: what Airflow's REST API says about the DAGs, for any target that can reach it."""

from __future__ import annotations

from airhost.dags.push import ParseWatcher


def _last_line(text: str | None) -> str:
    lines = (text or "").strip().splitlines()
    return lines[-1] if lines else ""


def list_dags(client, environment: str) -> dict:
    """DAGs Airflow knows with their latest version, and the current import errors."""
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
        "environment": environment,
        "dags": listed,
        "import_errors": [{"file": e.get("filename"), "error": _last_line(e.get("stack_trace"))}
                          for e in errors],
    }
