"""Operating an environment: ``run`` one-off Airflow commands, ``scale`` its components."""

from __future__ import annotations

from pathlib import Path

import click

from airhost.cli.output import config_option, deployment_for, emit, output_option
from airhost.cli.terminal import ExitStatus, TerminalProgress, out
from airhost.errors import UsageError


@click.command(context_settings={"ignore_unknown_options": True})
@click.argument("environment")
@click.argument("command", nargs=-1, type=click.UNPROCESSED, required=True)
@config_option
@output_option
@click.option("--timeout", type=click.IntRange(min=1), default=3600, show_default=True,
              help="Seconds before the command is stopped.")
def run(environment: str, command: tuple[str, ...], config_path: Path, output: str,
        timeout: int) -> None:
    """Run an Airflow command in ENVIRONMENT; its output streams, and its exit code is airhost's.

    \b
    On ECS it is a one-off task with the components' image, settings and secrets; locally it
    runs with the environment's virtualenv, settings and secrets.
      airhost run prod -- dags list
      airhost run prod -- bash -c 'airflow dags list-import-errors'
      airhost run local -- config get-value core executor
    """
    arguments = list(command)
    if arguments[:1] == ["airflow"]:
        arguments = arguments[1:]  # the image's entrypoint adds it
    if not arguments:
        raise UsageError("no command to run", hint="e.g. airhost run prod -- dags list")
    deployment = deployment_for(config_path, environment, "run")
    result = deployment.run(arguments, TerminalProgress(logs_to_stdout=output != "json"),
                            timeout=timeout)
    if output == "json":
        emit(result.to_json(), output, lambda _: None)
    if result.exit_code != 0:
        raise ExitStatus(f"the command exited with code {result.exit_code} ({result.task_id})",
                         result.exit_code)


@click.command()
@click.argument("environment")
@click.argument("counts", nargs=-1)
@config_option
@output_option
@click.option("--to-zero", is_flag=True, help="Park: every component at 0 (the database stays).")
@click.option("--resume", is_flag=True, help="Bring back the counts from before --to-zero.")
@click.option("--no-wait", is_flag=True, help="Do not wait for the components to be stable.")
def scale(environment: str, counts: tuple[str, ...], config_path: Path, output: str, to_zero: bool,
          resume: bool, no_wait: bool) -> None:
    """Set component counts: `scale prod worker=4 scheduler=2`, or park with --to-zero / --resume."""
    from airhost.ops.scale import parse_counts

    if sum(bool(x) for x in (counts, to_zero, resume)) != 1:
        raise UsageError("give COMPONENT=COUNT pairs, or --to-zero, or --resume (one of them)",
                         hint="e.g. airhost scale prod worker=3")
    wanted = parse_counts(list(counts)) if counts else {}
    deployment = deployment_for(config_path, environment, "scale")
    progress = TerminalProgress()
    if to_zero:
        states = deployment.park(progress, wait=not no_wait)
    elif resume:
        deployment.resume_scaling(progress)  # a hold that ended in a failure left it suspended
        states = deployment.resume(progress, wait=not no_wait)
    else:
        states = deployment.scale(wanted, progress, wait=not no_wait)

    def table(data: list) -> None:
        for state in data:
            out(f"{state['component']}: {state['running']}/{state['desired']} running "
                f"({state['where']})")

    emit([state.to_json() for state in states], output, table)




@click.command()
@click.argument("environment")
@click.argument("component", required=False)
@config_option
def shell(environment: str, component: str | None, config_path: Path) -> None:
    """Open an interactive shell where COMPONENT of ENVIRONMENT runs (no SSH, no open port).

    \b
    On EC2 a Session Manager session to a node of the component's group (the scheduler's by
    default); it needs AWS's session-manager-plugin on this machine.
      airhost shell prod
      airhost shell prod worker
    """
    import os

    command = deployment_for(config_path, environment, "shell").shell(component)
    os.execvp(command[0], command)


COMMANDS = [run, scale, shell]
