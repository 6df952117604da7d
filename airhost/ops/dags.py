"""``dags push`` and ``dags list`` on an ECS environment: its S3 DAG bundle and its API server.

The DAGs are checked with the environment's Airflow version on this machine, then only changed
files are uploaded to the bundle bucket and removed files deleted. When the API server is reachable
from here (access alb, or a tailnet), the push waits until Airflow has parsed the new version; with
private access Airflow picks the change up within ``dags.refresh_seconds`` and the push says so.
"""

from __future__ import annotations

from airhost.config.loader import Project
from airhost.config.models import Environment
from airhost.dags.destinations import BucketDestination
from airhost.dags.listing import list_dags
from airhost.dags.push import PushResult, Report, push_checked, refuse_if_broken
from airhost.errors import AirhostError
from airhost.local.dags import check_with_environment_airflow
from airhost.local.health import ApiClient
from airhost.ops.environment import AwsEnvironment
from airhost.render.ecs.data import BUNDLE_PREFIX


def api_client(aws: AwsEnvironment) -> ApiClient | None:
    """A logged-in API client when the environment's URL answers from here, else None."""
    facts = aws.facts
    if not facts.url or not facts.admin_secret:
        return None
    admin = aws.secrets.get_json(facts.admin_secret)
    try:
        return ApiClient(facts.url, admin.get("username", "admin"), admin["password"])
    except (OSError, ValueError, KeyError):
        return None


def push_ecs(project: Project, env: Environment, *, force: bool, wait: bool, timeout: float,
             report: Report, aws: AwsEnvironment | None = None) -> PushResult:
    if env.dags.source != "bundle":
        raise AirhostError(
            f"environment '{env.name}' reads DAGs with source {env.dags.source}",
            hint="'dags push' ships a DAG bundle: with source image build and deploy a new image, "
                 "with git push to the repository")
    check = check_with_environment_airflow(project, env, report)
    refuse_if_broken(check, force)
    aws = aws or AwsEnvironment(env)
    bucket = aws.facts.buckets.get("DagsBucket")
    if not bucket:
        raise AirhostError(f"environment '{env.name}' has no DAG bucket in its data stack",
                           hint=f"run 'airhost deploy {env.name}'")
    client = api_client(aws) if wait else None
    if wait and client is None:
        report(f"Airflow's API is not reachable from here (access {env.access.mode}): not waiting; "
               f"Airflow reads the bundle every {env.dags.refresh_seconds} s")
    destination = BucketDestination(aws.buckets, bucket, BUNDLE_PREFIX)
    return push_checked(check, (project.root / env.dags.folder).resolve(), destination, client,
                        force=force, timeout=timeout, report=report)


def list_ecs(env: Environment, *, aws: AwsEnvironment | None = None) -> dict:
    """DAGs of an ECS environment through its API server, when this machine can reach it."""
    aws = aws or AwsEnvironment(env)
    client = api_client(aws)
    if client is None:
        raise AirhostError(
            f"cannot list the DAGs of {env.name}: its API server is not reachable from here "
            f"(access {env.access.mode})",
            hint=f"run 'airhost run {env.name} -- dags list' (and 'dags list-import-errors') as a "
                 "one-off task, or reach the API through the VPC")
    return list_dags(client, env.name)
