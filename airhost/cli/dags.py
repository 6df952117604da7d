"""``dags push``, ``dags list`` and ``dags check``: ship DAGs without rebuilding anything."""

from __future__ import annotations

from pathlib import Path

import click
from rich.markup import escape
from rich.table import Table

from airhost.cli.output import config_option, emit, output_option, project_from, stderr, stdout
from airhost.targets import open_deployment


def _report(message: str) -> None:
    stderr.print(escape(message))


@click.group()
def dags() -> None:
    """Check, ship and list DAGs. A push needs no image rebuild and restarts nothing."""


@dags.command()
@click.argument("environment", required=False)
@config_option
@click.option("--force", is_flag=True, help="Push even if some DAG files fail to import.")
@click.option("--no-wait", is_flag=True, help="Do not wait for Airflow to parse the new version.")
@click.option("--timeout", default=120, show_default=True, help="Seconds to wait for Airflow.")
@output_option
def push(environment: str | None, config_path: Path, force: bool, no_wait: bool, timeout: int,
         output: str) -> None:
    """Check the DAGs with the environment's Airflow, then upload only what changed.

    A DAG file that fails to import stops the push before anything is uploaded (unless --force).
    Files removed from the DAG folder are removed from the bundle. Then Airflow is asked to
    re-parse, and the command waits until the new version is visible and says how long it took.
    """
    from airhost.ops.dags import push as push_dags

    project = project_from(config_path)
    env = project.environment(environment, local_default=environment is None)
    deployment = open_deployment(project, env, "dags")
    result = push_dags(project, deployment, force=force, wait=not no_wait, timeout=timeout,
                       report=_report)

    def table(data: dict) -> None:
        if data["seconds_to_visible"] is not None:
            stdout.print(f"Visible in Airflow after {data['seconds_to_visible']:.1f} s: "
                         + ", ".join(f"{k} ({v})" for k, v in sorted(data["dags"].items())))
        elif result.plan.empty:
            stdout.print("Nothing to push.")
        else:
            stdout.print("Pushed.")

    emit(result.as_dict(), output, table)


@dags.command(name="list")
@click.argument("environment", required=False)
@config_option
@output_option
def list_dags(environment: str | None, config_path: Path, output: str) -> None:
    """List the DAGs Airflow knows, their version and bundle, and any import errors."""
    from airhost.ops.dags import list_environment_dags

    project = project_from(config_path)
    env = project.environment(environment, local_default=environment is None)
    data = list_environment_dags(open_deployment(project, env, "dags"))

    def table(data: dict) -> None:
        grid = Table(show_edge=False, header_style="bold")
        for column in ("dag", "file", "version", "paused", "last parsed"):
            grid.add_column(column)
        for dag in data["dags"]:
            if dag["stale"]:
                continue
            grid.add_row(dag["dag_id"], dag["file"] or "-", str(dag["version"] or "-"),
                         "yes" if dag["paused"] else "no", (dag["last_parsed"] or "-")[:19])
        stdout.print(grid)
        for error in data["import_errors"]:
            stdout.print(f"[red]import error[/] {escape(error['file'] or '')}: {escape(error['error'])}")

    emit(data, output, table)


@dags.command()
@click.argument("environment", required=False)
@config_option
@output_option
def check(environment: str | None, config_path: Path, output: str) -> None:
    """Import the DAGs with the environment's Airflow and report errors with file and line."""
    from airhost.local.dags import check_with_environment_airflow

    project = project_from(config_path)
    env = project.environment(environment, local_default=environment is None)
    result = check_with_environment_airflow(project, env, _report)
    data = {"dags": result.dags, "problems": [str(p) for p in result.problems], "ok": result.ok}

    def table(data: dict) -> None:
        for dag_id, file in data["dags"].items():
            stdout.print(f"ok  {dag_id}  ({file})")
        for problem in data["problems"]:
            stdout.print(f"[red]error[/] {escape(problem)}")

    emit(data, output, table)
    if not result.ok:
        raise click.exceptions.Exit(1)


COMMANDS = [dags]
