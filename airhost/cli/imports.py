"""``airhost import mwaa NAME``: an Amazon MWAA environment becomes an airhost project."""

from __future__ import annotations

from pathlib import Path

import click
from rich.markup import escape
from rich.table import Table

from airhost.cli.output import emit, output_option, progress, stdout
from airhost.errors import UsageError


def print_report(data: dict) -> None:
    grid = Table(show_edge=False, header_style="bold",
                 title=f"MWAA {data['environment']} ({data['region']}) → airhost project {data['project']}")
    for column in ("MWAA setting", "value", "became", "status"):
        grid.add_column(column, overflow="fold")  # ids and option names stay whole
    for row in data["settings"]:
        style = {"manual": "yellow", "dropped": "dim"}.get(row["status"], "")
        status = f"[{style}]{row['status']}[/{style}]" if style else row["status"]
        became = escape(row["became"]) + (f"\n[dim]{escape(row['why'])}[/dim]" if row["why"] else "")
        setting = row["setting"].replace("AirflowConfigurationOptions ", "option ")
        grid.add_row(escape(setting), escape(row["value"]), became, status)
    stdout.print(grid, emoji=False)
    findings = data["airflow3_findings"]
    if data["source_airflow_version"].startswith("2."):
        stdout.print(f"\nAirflow 2 to 3: ruff's AIR3 rules found {len(findings)} thing(s) to change "
                     "before the first 'airhost up'.", emoji=False)
        for finding in findings:
            fix = " (fixable)" if finding["fixable"] else ""
            stdout.print(f"  {finding['path']}:{finding['line']}: {finding['code']} "
                         f"{escape(finding['message'])}{fix}", emoji=False)
    manual = [row for row in data["settings"] if row["status"] == "manual"]
    stdout.print(f"\nWrote {data['directory']}: airhost.yaml, dags/, requirements.txt, plugins/, "
                 f"MIGRATION.md. {len(manual)} thing(s) to do by hand are listed there.", emoji=False)
    stdout.print("Next: airhost validate, airhost up (local), airhost cost prod (beside this MWAA "
                 "environment).", style="dim", emoji=False)


@click.group("import")
def import_group() -> None:
    """Turn an environment you run elsewhere into an airhost project."""


@import_group.command("mwaa")
@click.argument("name")
@click.argument("directory", required=False, type=click.Path(path_type=Path))
@click.option("--region", help="The MWAA environment's region (default: boto3's configured region).")
@output_option
def mwaa(name: str, directory: Path | None, region: str | None, output: str) -> None:
    """Import Amazon MWAA environment NAME into DIRECTORY (default: a new folder named after it).

    Reads the environment with MWAA's GetEnvironment, copies its DAG folder, requirements.txt and
    plugins.zip (at the versions MWAA uses) from its bucket, and writes airhost.yaml with a local
    environment and an ECS environment of equal capacity, plus MIGRATION.md: every MWAA setting and
    what it became. For Airflow 2, ruff's Airflow 3 rules check the DAGs and plugins. A startup script
    is downloaded to mwaa-startup/ and never run. Nothing in AWS is changed.
    """
    from airhost.aws.session import AwsSession, configured_region
    from airhost.mwaa.importer import import_mwaa
    from airhost.mwaa.translate import project_name

    region = region or configured_region()
    if not region:
        raise UsageError(f"no region for MWAA environment '{name}': none is configured",
                         hint="pass --region, e.g. --region eu-west-1, or set AWS_REGION")
    target = directory if directory is not None else Path(project_name(name))
    report = import_mwaa(AwsSession(region), name, target, progress=progress)
    emit(report.to_json(), output, print_report)


COMMANDS = [import_group]
