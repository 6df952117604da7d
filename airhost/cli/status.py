"""``status`` and ``logs``, for every target."""

from __future__ import annotations

from pathlib import Path

import click

from airhost.cli.output import config_option, deployment_for, emit, output_option, stdout


@click.command()
@click.argument("environment", required=False)
@config_option
@output_option
@click.option("--show-password", is_flag=True, help="Also print the admin password.")
def status(environment: str | None, config_path: Path, output: str, show_password: bool) -> None:
    """Show an environment's components and their health.

    The same shape for every target: each component's state (a local process with its pid,
    uptime and restarts; a cloud service with its desired and running counts) and Airflow's
    health; in the cloud also the stacks, the recorded release and the database.
    """
    from airhost.ops.status import environment_status, format_status

    deployment = deployment_for(config_path, environment, "status",
                                local_default=environment is None)
    result = environment_status(deployment, show_password=show_password)
    emit(result.to_json(), output, lambda _: stdout.print(format_status(result)))


@click.command()
@click.argument("environment", required=False)
@click.argument("component", required=False)
@config_option
@click.option("--follow", "-f", is_flag=True, help="Keep printing new lines until Ctrl-C.")
@click.option("--lines", "-n", default=50, show_default=True,
              help="Local: lines to show from each log.")
@click.option("--since", default="10m", show_default=True,
              help="Cloud: how far back to start, e.g. 30s, 10m, 2h, 1d.")
@click.option("--filter", "pattern",
              help="Lines to show: a CloudWatch Logs filter pattern in the cloud, a substring locally.")
def logs(environment: str | None, component: str | None, config_path: Path, follow: bool,
         lines: int, since: str, pattern: str | None) -> None:
    """Show a component's log, or every component's (api-server, scheduler, ...).

    Locally the logs are the components' files (postgres included); in the cloud they are read
    from CloudWatch Logs.
    """
    deployment = deployment_for(config_path, environment, "logs",
                                local_default=environment is None)
    deployment.read_logs(component, since=since, follow=follow, pattern=pattern, lines=lines,
                    echo=click.echo)


COMMANDS = [status, logs]
