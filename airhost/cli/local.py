"""Local target commands: ``up`` and ``down``."""

from __future__ import annotations

import signal
from pathlib import Path

import click
from rich.markup import escape

from airhost.cli.output import config_option, emit, output_option, project_from, stderr, stdout
from airhost.errors import Aborted
from airhost.local.environment import LocalEnvironment
from airhost.local.logs import follow, last_lines


def local_environment(config_path: Path, name: str | None) -> LocalEnvironment:
    project = project_from(config_path)
    from airhost.targets import require

    env = project.environment(name, local_default=True)
    require(env, "up")
    return LocalEnvironment(project, env)


@click.command()
@click.argument("environment", required=False)
@config_option
@click.option("--foreground", is_flag=True,
              help="Stay attached and stream the components' logs; Ctrl-C stops everything.")
@click.option("--timeout", default=300, show_default=True, help="Seconds to wait for healthy.")
@output_option
def up(environment: str | None, config_path: Path, foreground: bool, timeout: int, output: str) -> None:
    """Run a local environment with real Airflow (default: the first local one).

    Builds a virtualenv with the configured Airflow and requirements (reused while nothing
    changes), starts an embedded PostgreSQL, migrates the database, creates the admin user, and
    runs api-server, scheduler, dag-processor and triggerer under a process manager that restarts
    any that crash. Waits until Airflow reports healthy, then prints where to log in. Running it
    again is harmless; data is kept between runs.
    """
    local = local_environment(config_path, environment)
    with stderr.status(f"Starting {local.env.name}…", spinner="dots") as status:
        def report(message: str) -> None:
            stderr.print(f"  {message}", markup=False)
            status.update(escape(message))

        result = local.up(report, timeout=timeout)
    stderr.print(f"[green]✓[/] {local.env.name} is healthy ({result.seconds:.1f} s)")
    password_line = (result.password if result.password
                     else f"(run 'airhost status {local.env.name} --show-password')")
    data = {"environment": local.env.name, "url": result.url, "username": result.username,
            "password": result.password, "seconds": round(result.seconds, 2),
            "virtualenv_built": result.virtualenv_built}

    def table(_: dict) -> None:
        stdout.print(f"Airflow:  {result.url}")
        stdout.print(f"Username: {result.username}")
        stdout.print(f"Password: {password_line}")
        if result.password:
            stdout.print("(the password is shown once; it is kept in .airhost/ with mode 0600)")
        stdout.print(f"Stop with 'airhost down {local.env.name}'.")

    emit(data, output, table)
    if foreground:
        _stream_until_interrupted(local)


def _stream_until_interrupted(local: LocalEnvironment) -> None:
    logs = {name: local.paths.component_log(name) for name in
            [c["component"] for c in local.status()["components"]]}
    for name, path in logs.items():
        for line in last_lines(path, 5):
            click.echo(f"{name:>14} | {line}")
    stopping = {"now": False}

    def on_signal(*_: object) -> None:
        stopping["now"] = True

    signal.signal(signal.SIGTERM, on_signal)
    try:
        for name, line in follow(logs, stop=lambda: stopping["now"]):
            click.echo(f"{name:>14} | {line}")
    except KeyboardInterrupt:
        pass
    stderr.print("Stopping…")
    local.down()
    stderr.print(f"Stopped {local.env.name}; data kept.")


@click.command()
@click.argument("environment", required=False)
@config_option
@click.option("--purge", is_flag=True, help="Also delete the database, logs, virtualenv and secrets.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask before --purge deletes data.")
def down(environment: str | None, config_path: Path, purge: bool, yes: bool) -> None:
    """Stop a local environment. Its data stays unless --purge."""
    local = local_environment(config_path, environment)
    if purge and not yes:
        if not click.confirm(f"Delete all data of '{local.env.name}' under {local.paths.base}?",
                             default=False, err=True):
            raise Aborted("nothing deleted: the purge was not confirmed")
    with stderr.status(f"Stopping {local.env.name}…", spinner="dots"):
        was_running = local.down(purge=purge)
    if purge:
        stderr.print(f"Stopped {local.env.name} and deleted {local.paths.base}.")
    elif was_running:
        stderr.print(f"Stopped {local.env.name}; data kept (start again with 'airhost up').")
    else:
        stderr.print(f"{local.env.name} was not running.")


COMMANDS = [up, down]
