"""``dags push`` and ``dags list`` on the local target.

The local environment's Airflow reads a published copy of the project's DAG folder (its local DAG
bundle), exactly as a cloud environment reads its S3 bundle: editing ``dags/`` changes nothing until
the DAGs are checked and pushed.
"""

from __future__ import annotations

from airhost.dags.check import CheckResult, check_dags
from airhost.dags.destinations import BucketDestination, Destination, FolderDestination
from airhost.dags.listing import list_dags
from airhost.dags.push import PushResult, Report, push_checked, refuse_if_broken
from airhost.config.loader import Project
from airhost.config.models import Environment
from airhost.errors import LocalError
from airhost.local.paths import LocalPaths
from airhost.local import python_env
from airhost.local.environment import LocalEnvironment


def check_with_environment_airflow(project: Project, env: Environment, report: Report) -> CheckResult:
    """Import the project's DAGs with the environment's Airflow version and requirements.

    Uses the environment's virtualenv under .airhost/ (built first if needed, reused after), so a
    cloud environment's DAGs are checked with exactly the Airflow its image runs.
    """
    paths = LocalPaths(project.root, env.name)
    plan = python_env.install_plan(env, project.root, report)
    if not python_env.is_current(paths, plan):
        report(f"Installing {plan.requirement} to check the DAGs with it")
    python_env.ensure_virtualenv(paths, plan, report)
    folder = (project.root / env.dags.folder).resolve()
    if not folder.is_dir():
        raise LocalError(f"the DAG folder {folder} does not exist",
                         hint="create it or set dags.folder in airhost.yaml")
    report(f"Checking {env.dags.folder}/ with Airflow {env.airflow.version}")
    return check_dags(paths.venv / "bin" / "python", folder)


def check_local(local: LocalEnvironment, report: Report) -> CheckResult:
    return check_with_environment_airflow(local.project, local.env, report)


def local_destination(local: LocalEnvironment) -> Destination:
    """The local bundle folder, or the S3 location the environment rehearses with."""
    located = local.env.local.bucket_and_prefix
    if not located:
        return FolderDestination(local.paths.bundle)
    from airhost.aws.s3 import Buckets
    from airhost.aws.session import AwsSession, configured_region

    region = local.env.region or configured_region()
    if not region:
        raise LocalError("local.dag_bucket is set but no AWS region is known",
                         hint="set region in airhost.yaml or AWS_DEFAULT_REGION")
    return BucketDestination(Buckets(AwsSession(region)), *located)


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
    return push_checked(check, local.project_dags, local_destination(local), client, force=force,
                        timeout=timeout, report=report)


def list_local(local: LocalEnvironment) -> dict:
    """DAGs the local environment's Airflow knows, with versions and import errors."""
    return list_dags(local.api_client(), local.env.name)
