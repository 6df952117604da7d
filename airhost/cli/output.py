"""Shared pieces of the CLI: how to find the project, print data, and report progress."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import click
from rich.console import Console

from airhost.config import Environment, Project, load_project

stderr = Console(stderr=True, highlight=False, soft_wrap=True)
stdout = Console(highlight=False, soft_wrap=True)

config_option = click.option(
    "--config", "-c", "config_path", type=click.Path(path_type=Path), default=Path("."),
    show_default=True, help="airhost.yaml, or the folder holding it.",
)
output_option = click.option(
    "--output", "-o", type=click.Choice(["table", "json"]), default="table", show_default=True,
    help="table for people, json for scripts.",
)


def project_from(config_path: Path) -> Project:
    return load_project(config_path)


def environment_for(config_path: Path, name: str | None, capability: str, *,
                    local_default: bool = False) -> tuple[Project, Environment]:
    """The project and the named environment, when its target can do ``capability``."""
    from airhost.targets import require

    project = project_from(config_path)
    env = project.environment(name, local_default=local_default)
    require(env, capability)
    return project, env


def deployment_for(config_path: Path, name: str | None, capability: str, *,
                   local_default: bool = False) -> Any:
    """The named environment's deployment, when its target can do ``capability``."""
    from airhost.targets import open_deployment

    project = project_from(config_path)
    env = project.environment(name, local_default=local_default)
    return open_deployment(project, env, capability)


def emit(data: Any, output: str, table: Callable[[Any], None]) -> None:
    """Print ``data`` as JSON on stdout, or through ``table`` for people."""
    if output == "json":
        click.echo(json.dumps(data, indent=2, sort_keys=True, default=str))
    else:
        table(data)


def progress(message: str) -> None:
    stderr.print(message)
