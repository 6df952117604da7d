"""``image build`` and ``image push``: the project's own Airflow image, for ``ecs.image: ecr``."""

from __future__ import annotations

from pathlib import Path

import click
from rich.markup import escape

from airhost.cli.output import config_option, emit, environment_for, output_option, stderr, stdout


def _report(message: str) -> None:
    stderr.print(escape(message))


def _cloud_environment(config_path: Path, environment: str):
    return environment_for(config_path, environment, "image")


@click.group()
def image() -> None:
    """Build and push the project's Airflow image (only when requirements, plugins or baked DAGs change)."""


@image.command()
@click.argument("environment")
@config_option
@click.option("--dockerfile-only", is_flag=True,
              help="Write the Dockerfile and build context under .airhost/ENV/image and stop.")
@output_option
def build(environment: str, config_path: Path, dockerfile_only: bool, output: str) -> None:
    """Build the image: the official Airflow image plus requirements, plugins and (with dags.source
    image) DAGs. Tagged <git commit>-<content hash>, so unchanged inputs give the same tag."""
    from airhost.ops.image import Docker, build as build_image, stage

    project, env = _cloud_environment(config_path, environment)
    staged = stage(project, env, _report)
    data = {"image": staged.reference, "tag": staged.tag, "content_hash": staged.content_hash,
            "git_commit": staged.git_commit, "dockerfile": str(staged.dockerfile),
            "built": False}
    if not dockerfile_only:
        build_image(staged, Docker(), _report)
        data["built"] = True

    def table(data: dict) -> None:
        stdout.print(f"Dockerfile: {data['dockerfile']}")
        stdout.print(f"Image:      {data['image']}" + ("" if data["built"] else " (not built)"))

    emit(data, output, table)


@image.command()
@click.argument("environment")
@config_option
@output_option
def push(environment: str, config_path: Path, output: str) -> None:
    """Push the built image to the environment's ECR repository; the next deploy runs it."""
    from airhost.ops.image import Docker, push as push_image, stage
    from airhost.targets import open_deployment

    project, env = _cloud_environment(config_path, environment)
    staged = stage(project, env, _report)
    record = push_image(open_deployment(project, env, "image"), staged, Docker(), _report)

    def table(data: dict) -> None:
        stdout.print(f"Pushed {data['image']}")
        stdout.print(f"Deploy it with 'airhost deploy {env.name}'.")

    emit(record, output, table)


COMMANDS = [image]
