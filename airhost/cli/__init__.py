"""The ``airhost`` command line: one module per noun, errors caught only here.

Data goes to stdout and progress to stderr. Every ``AirhostError`` is printed as its message and
ends the process with its exit code; ``--debug`` shows the traceback as well.
"""

from __future__ import annotations

import sys

import click

from airhost import __version__
from airhost.errors import AirhostError

from airhost.cli import (
    cost, dags, deploy, image, imports, kubeconfig, lifecycle, local, operate, project, render, status,
)

COMMAND_MODULES = [project, local, status, dags, image, deploy, operate, render, cost, lifecycle,
                   imports, kubeconfig]


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="airhost", message="%(prog)s %(version)s")
@click.option("--debug", is_flag=True, help="Show tracebacks of errors.")
@click.pass_context
def cli(context: click.Context, debug: bool) -> None:
    """Run Apache Airflow 3 on your own AWS account, and on your laptop, from one airhost.yaml.

    \b
    Start here:
      airhost init my-project     create airhost.yaml, dags/ and requirements.txt
      airhost validate            check airhost.yaml
      airhost up                  run the project's local environment with real Airflow
      airhost status              see each component's health
    """
    context.ensure_object(dict)
    context.obj["debug"] = debug


for _module in COMMAND_MODULES:
    for _command in _module.COMMANDS:
        cli.add_command(_command)


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI, turning airhost errors into messages and exit codes."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    try:
        # Without standalone mode click returns a command's ctx.exit(code) instead of exiting.
        returned = cli.main(args=args, prog_name="airhost", standalone_mode=False)
    except AirhostError as error:
        if debug:
            import traceback

            traceback.print_exc()
        click.echo(f"error: {error}", err=True)
        return error.exit_code
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return 130
    except click.ClickException as error:
        error.show()
        return error.exit_code
    except click.exceptions.Exit as exit_:
        return exit_.exit_code
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        return 130
    return returned if isinstance(returned, int) else 0
