"""Project commands: ``init``, ``validate`` and ``schema``."""

from __future__ import annotations

import json
import re
import sys
from importlib import resources
from pathlib import Path

import click

from airhost.cli.output import config_option, emit, output_option, project_from, stdout
from airhost.config import json_schema
from airhost.config.support import DEFAULT_AIRFLOW_VERSION, DEFAULT_PYTHON, PYTHON_VERSIONS
from airhost.errors import UsageError

# scaffold file → where it goes in the new project
SCAFFOLD = {
    "airhost.yaml": "airhost.yaml",
    "requirements.txt": "requirements.txt",
    "gitignore": ".gitignore",
    "dags/example_pipeline.py": "dags/example_pipeline.py",
}


def _project_name(folder: Path) -> str:
    name = re.sub(r"[^a-z0-9]+", "-", folder.resolve().name.lower()).strip("-")
    if not name or not name[0].isalpha():
        name = f"airflow-{name}".strip("-")
    return name[:24].rstrip("-") or "airflow"


@click.command()
@click.argument("directory", type=click.Path(path_type=Path), default=Path("."))
@click.option("--name", help="Project name (default: the folder's name).")
@click.option("--force", is_flag=True, help="Overwrite files that already exist.")
def init(directory: Path, name: str | None, force: bool) -> None:
    """Create a new project in DIRECTORY: airhost.yaml, dags/, requirements.txt, .gitignore.

    The airhost.yaml has a local environment ready for `airhost up` and a commented production
    environment on ECS. Existing files are left alone unless --force.
    """
    project_name = name or _project_name(directory)
    if not re.match(r"^[a-z][a-z0-9-]*[a-z0-9]$", project_name) or len(project_name) > 24:
        raise UsageError(
            f"project name '{project_name}' cannot be used in AWS resource names",
            hint="pass --name with 2-24 lowercase letters, digits and hyphens",
        )
    existing = [target for target in SCAFFOLD.values() if (directory / target).exists()]
    if existing and not force:
        raise UsageError(
            f"not creating the project: {', '.join(existing)} already exist in {directory}",
            hint="pass --force to overwrite them",
        )
    here = f"{sys.version_info.major}.{sys.version_info.minor}"
    python = here if here in PYTHON_VERSIONS else DEFAULT_PYTHON
    source = resources.files("airhost") / "scaffold"
    for name_in_package, target in SCAFFOLD.items():
        text = (source / name_in_package).read_text(encoding="utf-8")
        text = (text.replace("PROJECT_NAME", project_name)
                .replace("AIRFLOW_VERSION", DEFAULT_AIRFLOW_VERSION)
                .replace("PYTHON_VERSION", python))
        path = directory / target
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        click.echo(f"created {path}", err=True)
    click.echo(f"\nNext: cd {directory} && airhost up", err=True)


@click.command()
@config_option
@output_option
def validate(config_path: Path, output: str) -> None:
    """Check airhost.yaml: print OK, or every problem with its field path and how to fix it."""
    project = project_from(config_path)
    summary = {
        "project": project.name,
        "valid": True,
        "config_hash": project.config_hash,
        "environments": {
            name: {"target": env.target, "region": env.region, "executor": env.airflow.executor,
                   "airflow": env.airflow.version}
            for name, env in project.environments.items()
        },
    }

    def table(data: dict) -> None:
        stdout.print(f"OK: {project.name} ({len(project.environments)} environments)")
        for env_name, env in data["environments"].items():
            where = env["target"] + (f" in {env['region']}" if env["region"] else "")
            stdout.print(f"  {env_name}: {where}, Airflow {env['airflow']}, {env['executor']} executor")

    emit(summary, output, table)


@click.command()
def schema() -> None:
    """Print the JSON Schema of airhost.yaml, for editor completion and checks."""
    click.echo(json.dumps(json_schema(), indent=2, sort_keys=True))


COMMANDS = [init, validate, schema]
