"""``status`` and ``logs``, for any target."""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table

from airhost.cli.local import LocalEnvironment
from airhost.cli.output import (config_option, emit, output_option, project_from, require_ecs,
                                stdout)
from airhost.errors import UsageError
from airhost.local.logs import follow as follow_logs
from airhost.local.logs import last_lines


def _format_uptime(seconds: int | None) -> str:
    if seconds is None:
        return "-"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"


def print_local_status(data: dict) -> None:
    state = "running" if data["running"] else "stopped"
    health = "healthy" if data["healthy"] else ("not healthy" if data["running"] else "-")
    stdout.print(f"{data['environment']} (local): {state}, {health}")
    if data.get("url"):
        stdout.print(f"URL: {data['url']}  user: {data['username']}")
    table = Table(show_edge=False, header_style="bold")
    for column in ("component", "state", "health", "pid", "uptime"):
        table.add_column(column)
    for item in data["components"]:
        state = item["state"]
        if item.get("crash_looping"):
            state += f" (crash-looping, {item.get('restarts', 0)} restarts)"
        elif item.get("restarts"):
            state += f" ({item['restarts']} restarts)"
        table.add_row(item["component"], state, item["health"] or "-",
                      str(item["pid"] or "-"), _format_uptime(item["uptime_seconds"]))
    stdout.print(table)
    if data.get("password"):
        stdout.print(f"Password: {data['password']}")


@click.command()
@click.argument("environment", required=False)
@config_option
@output_option
@click.option("--show-password", is_flag=True, help="Also print the admin password.")
def status(environment: str | None, config_path: Path, output: str, show_password: bool) -> None:
    """Show an environment's components and their health.

    Locally: each process's state, pid, uptime and health. On ECS: the stacks, the recorded
    release, each service's desired and running tasks, the database and the API's health.
    """
    project = project_from(config_path)
    env = project.environment(environment, local_default=environment is None)
    if not env.is_local:
        from airhost.ops.status import environment_status, format_status

        require_ecs(env)
        emit(environment_status(env, show_password=show_password), output,
             lambda data: stdout.print(format_status(data)))
        return
    local = LocalEnvironment(project, env)
    data = local.status()
    if show_password:
        data["password"] = local.admin_password()
    emit(data, output, print_local_status)


@click.command()
@click.argument("environment", required=False)
@click.argument("component", required=False)
@config_option
@click.option("--follow", "-f", is_flag=True, help="Keep printing new lines until Ctrl-C.")
@click.option("--lines", "-n", default=50, show_default=True,
              help="Local: lines to show from each log.")
@click.option("--since", default="10m", show_default=True,
              help="Cloud: how far back to start, e.g. 30s, 10m, 2h, 1d.")
@click.option("--filter", "pattern", help="Cloud: a CloudWatch Logs filter pattern.")
def logs(environment: str | None, component: str | None, config_path: Path, follow: bool,
         lines: int, since: str, pattern: str | None) -> None:
    """Show a component's log, or every component's (api-server, scheduler, ...).

    Locally the logs are the components' files (postgres included); on ECS they are read from
    CloudWatch Logs.
    """
    project = project_from(config_path)
    env = project.environment(environment, local_default=environment is None)
    if not env.is_local:
        from airhost.ops.logs import show_logs

        require_ecs(env)
        show_logs(env, component, since=since, follow=follow, filter=pattern, echo=click.echo)
        return
    local = LocalEnvironment(project, env)
    names = [c["component"] for c in local.status()["components"]] + ["migrate"]
    if component and component not in names:
        raise UsageError(f"no component '{component}' in {env.name}",
                         hint="choose one of " + ", ".join(names))
    chosen = {name: local.paths.component_log(name) for name in ([component] if component else names)}
    for name, path in chosen.items():
        for line in last_lines(path, lines):
            click.echo(line if component else f"{name:>14} | {line}")
    if follow:
        try:
            for name, line in follow_logs(chosen):
                click.echo(line if component else f"{name:>14} | {line}")
        except KeyboardInterrupt:
            pass


COMMANDS = [status, logs]
