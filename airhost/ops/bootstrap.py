"""After the stacks: migrate the metadata database and ensure the admin user, as one-off tasks.

Both steps are idempotent (``airflow db migrate`` migrates only what is missing; ``users create`` leaves
an existing user alone), so an interrupted deploy simply runs them again. The admin's name and
password reach the task from its secret as ``AIRHOST_ADMIN_USERNAME``/``AIRHOST_ADMIN_PASSWORD``; they
never appear in the command, the logs or airhost's output.
"""

from __future__ import annotations

from airhost.aws.errors import TaskFailed
from airhost.ops.environment import AwsEnvironment
from airhost.ops.progress import Progress
from airhost.ops.tasks import run_command

MIGRATE = ["db", "migrate"]
CREATE_ADMIN = [
    "bash", "-c",
    'airflow users create --username "$AIRHOST_ADMIN_USERNAME" '
    '--password "$AIRHOST_ADMIN_PASSWORD" --firstname Airflow --lastname Admin --role Admin '
    '--email "$AIRHOST_ADMIN_USERNAME@localhost"',
]


class BootstrapFailed(TaskFailed):
    """A bootstrap task ran and exited non-zero."""


def bootstrap(aws: AwsEnvironment, progress: Progress, *, timeout: float = 1800) -> dict:
    """Run the migration, then the admin user when Airflow keeps users in its database (FAB)."""
    steps: dict[str, dict] = {}
    progress.step("migrating the metadata database (airflow db migrate)")
    steps["migrate"] = _must_succeed(aws, MIGRATE, "airflow db migrate", progress, timeout)
    if aws.env.auth_manager == "fab":
        progress.step("ensuring the admin user")
        steps["admin_user"] = _must_succeed(aws, CREATE_ADMIN, "creating the admin user", progress,
                                            timeout)
    return steps


def _must_succeed(aws: AwsEnvironment, command: list[str], what: str, progress: Progress,
                  timeout: float) -> dict:
    result = run_command(aws, command, progress, timeout=timeout, started_by="airhost-bootstrap")
    if result.exit_code != 0:
        raise BootstrapFailed(
            f"{what} failed with exit code {result.exit_code} (task {result.task_id}): "
            "the services were not started",
            hint=f"read the task's log above or with 'airhost logs {aws.env.name} utils', fix the "
                 "cause, then deploy again")
    return result.to_json()
