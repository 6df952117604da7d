"""``dags push`` and ``dags list`` for every target: its DAG bundle and its API server.

The DAGs are checked with the environment's Airflow version on this machine (only the changed
files, when nothing else can be affected by them), then only changed files are uploaded to the bundle (the local bundle folder, or the cloud environment's S3 bundle
bucket) and removed files deleted. When the API server is reachable from here, the push waits
until Airflow has parsed the new version; with a private API Airflow picks the change up within
``dags.refresh_seconds`` and the push says so.
"""

from __future__ import annotations

import time

from airhost.config.loader import Project
from airhost.dags.listing import list_dags
from airhost.dags.manifest import folder_manifest, plan_sync
from airhost.dags.push import PushResult, Report, push_checked, refuse_if_broken
from airhost.dags.scope import files_to_check
from airhost.errors import AirhostError
from airhost.local.dags import check_with_environment_airflow
from airhost.targets import Deployment


def push(project: Project, deployment: Deployment, *, force: bool, wait: bool, timeout: float,
         report: Report) -> PushResult:
    env = deployment.env
    if env.dags.source != "bundle":
        raise AirhostError(
            f"environment '{env.name}' reads DAGs with source {env.dags.source}",
            hint="'dags push' ships a DAG bundle: with source image build and deploy a new image, "
                 "with git push to the repository")
    destination = deployment.bundle()
    source = (project.root / env.dags.folder).resolve()
    plan = plan_sync(folder_manifest(source), destination.manifest())
    started = time.monotonic()
    check = check_with_environment_airflow(project, env, report, files=files_to_check(source, plan))
    checked = time.monotonic() - started
    refuse_if_broken(check, force)
    client = deployment.api_client() if wait else None
    if wait and client is None:
        report(f"Airflow's API is not reachable from here (access {env.access.mode}): not waiting; "
               f"Airflow reads the bundle every {env.dags.refresh_seconds} s")
    result = push_checked(check, source, destination, client, force=force, timeout=timeout,
                          report=report, plan=plan, local_clock=deployment.shares_clock)
    result.seconds = {"check": round(checked, 2), **result.seconds}
    return result


def list_environment_dags(deployment: Deployment) -> dict:
    """The DAGs Airflow knows, through the API server, when this machine can reach it."""
    env = deployment.env
    client = deployment.api_client()
    if client is None:
        raise AirhostError(
            f"cannot list the DAGs of {env.name}: its API server is not reachable from here "
            f"(access {env.access.mode})",
            hint=f"run 'airhost run {env.name} -- dags list' (and 'dags list-import-errors') as a "
                 "one-off command, or reach the API through the VPC")
    return list_dags(client, env.name)
