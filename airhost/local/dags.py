"""``dags push`` and ``dags list`` on the local target.

The local environment's Airflow reads a published copy of the project's DAG folder (its local DAG
bundle), exactly as a cloud environment reads its S3 bundle: editing ``dags/`` changes nothing until
the DAGs are checked and pushed.
"""

from __future__ import annotations

from airhost.dags.check import CheckResult, ask_checker, check_dags
from airhost.dags.destinations import BucketDestination, Destination, FolderDestination
from airhost.dags.listing import list_dags
from airhost.dags.push import Report
from airhost.config.loader import Project
from airhost.config.models import Environment
from airhost.errors import LocalError
from airhost.local.paths import LocalPaths
from airhost.local import python_env
from airhost.local.environment import LocalEnvironment


def check_with_environment_airflow(project: Project, env: Environment, report: Report,
                                   files: list[str] | None = None) -> CheckResult:
    """Import the project's DAGs (or only ``files``) with the environment's Airflow and requirements.

    Uses the environment's virtualenv under .airhost/ (built first if needed, reused after), so a
    cloud environment's DAGs are checked with exactly the Airflow its image runs. When the local
    environment runs, its checker (Airflow already imported) answers; else a one-off process does.
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
    what = (f"{len(files)} changed file(s) in {env.dags.folder}/ (nothing else they affect)"
            if files is not None else f"{env.dags.folder}/")
    report(f"Checking {what} with Airflow {env.airflow.version}")
    if paths.dag_check_socket.exists():
        answer = ask_checker(paths.dag_check_socket, plan.fingerprint, folder, files)
        if answer is not None:
            return answer
    return check_dags(paths.venv / "bin" / "python", folder, files=files)


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


def list_local(local: LocalEnvironment) -> dict:
    """DAGs the local environment's Airflow knows, with versions and import errors."""
    return list_dags(local.api_client(), local.env.name)
