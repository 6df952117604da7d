"""After the stacks: migrate the metadata database and ensure the admin user, as one-off commands.

Both steps are idempotent (``airflow db migrate`` migrates only what is missing; ``users create`` leaves
an existing user alone), so an interrupted deploy simply runs them again. The admin's name and
password reach the task from its secret as ``AIRHOST_ADMIN_USERNAME``/``AIRHOST_ADMIN_PASSWORD``; they
never appear in the command, the logs or airhost's output.
"""

from __future__ import annotations

from airhost.aws.errors import TaskFailed
from airhost.progress import Progress
from airhost.targets import Deployment

MIGRATE = ["db", "migrate"]
CREATE_ADMIN = [
    "bash", "-c",
    'airflow users create --username "$AIRHOST_ADMIN_USERNAME" '
    '--password "$AIRHOST_ADMIN_PASSWORD" --firstname Airflow --lastname Admin --role Admin '
    '--email "$AIRHOST_ADMIN_USERNAME@localhost"',
]


class BootstrapFailed(TaskFailed):
    """A bootstrap command ran and exited non-zero; ``step`` names it (migrate, admin_user)."""

    def __init__(self, message: str, *, step: str, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.step = step


def bootstrap(aws: Deployment, progress: Progress, *, timeout: float = 1800) -> dict:
    """Run the migration, then the admin user when Airflow keeps users in its database (FAB)."""
    steps: dict[str, dict] = {}
    progress.step("migrating the metadata database (airflow db migrate)")
    steps["migrate"] = _must_succeed(aws, MIGRATE, "migrate", "airflow db migrate", progress,
                                     timeout)
    if aws.env.auth_manager == "fab":
        progress.step("ensuring the admin user")
        steps["admin_user"] = _must_succeed(aws, CREATE_ADMIN, "admin_user",
                                            "creating the admin user", progress, timeout)
    return steps


def _must_succeed(aws: Deployment, command: list[str], step: str, what: str, progress: Progress,
                  timeout: float) -> dict:
    result = aws.run(command, progress, timeout=timeout, purpose="bootstrap")
    if result.exit_code != 0:
        raise BootstrapFailed(
            f"{what} failed with exit code {result.exit_code} (task {result.task_id}): "
            "the services were not started", step=step,
            hint=f"read the task's log above or with 'airhost logs {aws.env.name} utils', fix the "
                 "cause, then deploy again")
    return result.to_json()
