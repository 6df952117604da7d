"""Operating a deployed ECS environment: ``run`` one-off Airflow commands, ``scale`` services."""

from __future__ import annotations

from pathlib import Path

import click

from airhost.cli.deploy import cloud_environment
from airhost.cli.output import config_option, emit, output_option
from airhost.cli.terminal import ExitStatus, TerminalProgress, out
from airhost.errors import UsageError
from airhost.ops.environment import AwsEnvironment


@click.command(context_settings={"ignore_unknown_options": True})
@click.argument("environment")
@click.argument("command", nargs=-1, type=click.UNPROCESSED, required=True)
@config_option
@output_option
@click.option("--timeout", type=click.IntRange(min=1), default=3600, show_default=True,
              help="Seconds before the task is stopped.")
def run(environment: str, command: tuple[str, ...], config_path: Path, output: str,
        timeout: int) -> None:
    """Run an Airflow command in ENVIRONMENT as a one-off ECS task; exit with its exit code.

    \b
      airhost run prod -- dags list
      airhost run prod -- bash -c 'airflow dags list-import-errors'
    """
    from airhost.ops.tasks import run_command

    env, _ = cloud_environment(config_path, environment)
    arguments = list(command)
    if arguments[:1] == ["airflow"]:
        arguments = arguments[1:]  # the image's entrypoint adds it
    if not arguments:
        raise UsageError("no command to run", hint="e.g. airhost run prod -- dags list")
    result = run_command(AwsEnvironment(env), arguments,
                         TerminalProgress(logs_to_stdout=output != "json"), timeout=timeout)
    if output == "json":
        emit(result.to_json(), output, lambda _: None)
    if result.exit_code != 0:
        raise ExitStatus(f"the command exited with code {result.exit_code} (task {result.task_id})",
                         result.exit_code)


@click.command()
@click.argument("environment")
@click.argument("counts", nargs=-1)
@config_option
@output_option
@click.option("--to-zero", is_flag=True, help="Park: every service at 0 (the database stays).")
@click.option("--resume", is_flag=True, help="Bring back the counts from before --to-zero.")
@click.option("--no-wait", is_flag=True, help="Do not wait for the services to be stable.")
def scale(environment: str, counts: tuple[str, ...], config_path: Path, output: str, to_zero: bool,
          resume: bool, no_wait: bool) -> None:
    """Set service counts: `scale prod worker=4 scheduler=2`, or park with --to-zero / --resume."""
    from airhost.ops import scale as scaling

    if sum(bool(x) for x in (counts, to_zero, resume)) != 1:
        raise UsageError("give COMPONENT=COUNT pairs, or --to-zero, or --resume (one of them)",
                         hint="e.g. airhost scale prod worker=3")
    env, _ = cloud_environment(config_path, environment)
    aws = AwsEnvironment(env)
    progress = TerminalProgress()
    if to_zero:
        states = scaling.park(aws, progress, wait=not no_wait)
    elif resume:
        states = scaling.resume(aws, progress, wait=not no_wait)
    else:
        states = scaling.scale(aws, scaling.parse_counts(list(counts)), progress, wait=not no_wait)

    def table(data: dict) -> None:
        for component, state in sorted(data.items()):
            out(f"{component}: {state['running']}/{state['desired']} running ({state['service']})")

    emit(states, output, table)


COMMANDS = [run, scale]
