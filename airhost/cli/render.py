"""``render`` and ``diagram``: what an environment will create in AWS, as files to review.

Both are pure: no AWS call, no credentials needed, the same config gives the same files.
"""

from __future__ import annotations

from pathlib import Path

import click

from airhost.cli.output import config_option, emit, output_option, progress, project_from, stdout
from airhost.config import Project
from airhost.config.models import Environment
from airhost.errors import AirhostError, UsageError
from airhost.render.stacks import StackTemplate


class TemplateInvalid(AirhostError):
    """A rendered template fails AWS's resource schemas (cfn-lint errors)."""

    exit_code = 1


def _cloud_environment(project: Project, name: str) -> Environment:
    env = project.environment(name)
    if env.is_local:
        raise UsageError(
            f"environment '{env.name}' runs locally: there is no CloudFormation to render",
            hint="use 'airhost up' for it, or name an environment with target: ecs",
        )
    return env


def stacks_of(project: Project, env: Environment) -> list[StackTemplate]:
    if env.target != "ecs":
        raise UsageError(f"environment '{env.name}' has target {env.target}, which airhost cannot render yet",
                         hint="use target: ecs")
    from airhost.render.ecs import render_stacks

    return render_stacks(env, project.config_hash)


@click.command()
@click.argument("environment")
@config_option
@click.option("--out", "out", type=click.Path(path_type=Path), default=None,
              help="Folder for the templates [default: build/ENVIRONMENT next to airhost.yaml].")
@click.option("--format", "fmt", type=click.Choice(["json", "yaml"]), default="json", show_default=True,
              help="Template format.")
@click.option("--lint", is_flag=True, help="Also check every template with cfn-lint; errors fail.")
@output_option
def render(environment: str, config_path: Path, out: Path | None, fmt: str, lint: bool, output: str) -> None:
    """Write ENVIRONMENT's CloudFormation templates, one per stack, without calling AWS.

    \b
    Writes <layer>.json (or .yaml) for each stack — network, data, access (when access.mode is alb)
    and airflow — and stacks.json: the deploy order, stack names, the parameters each stack takes
    and which earlier stack's output fills each of them.
    """
    from airhost.render.files import write_stacks

    project = project_from(config_path)
    env = _cloud_environment(project, environment)
    stacks = stacks_of(project, env)
    folder = out if out is not None else project.root / "build" / env.name
    paths = write_stacks(stacks, folder, fmt)  # type: ignore[arg-type]
    findings: dict[str, list[str]] = {}
    if lint:
        from airhost.render.lint import errors, lint_template

        for stack in stacks:
            progress(f"linting {stack.name}…")
            found = lint_template(stack.template, env.region or "us-east-1")
            findings[stack.name] = [str(finding) for finding in found]
            if errors(found):
                raise TemplateInvalid(
                    f"{stack.name} is not valid CloudFormation: " + "; ".join(findings[stack.name]),
                    hint="this is a bug in airhost; please report it with the config that causes it")
    data = {
        "environment": env.name, "config_hash": project.config_hash, "folder": str(folder),
        "stacks": [{"name": stack.name, "layer": stack.layer, "file": str(folder / f"{stack.layer}.{fmt}"),
                    "resources": len(stack.template["Resources"]),
                    "parameters": sorted(stack.template.get("Parameters", {})),
                    "lint": findings.get(stack.name)} for stack in stacks],
        "files": [str(path) for path in paths],
    }

    def table(_: dict) -> None:
        stdout.print(f"{env.name}: {len(stacks)} stacks in {folder} (deploy in this order)")
        for index, stack in enumerate(data["stacks"], start=1):
            lint_note = ""
            if lint:
                lint_note = f", cfn-lint: {len(stack['lint'])} findings"
            stdout.print(f"  {index}. {stack['name']}: {stack['resources']} resources, "
                         f"{len(stack['parameters'])} parameters{lint_note}")
            for finding in stack["lint"] or []:
                stdout.print(f"       {finding}")

    emit(data, output, table)


@click.command()
@click.argument("environment")
@config_option
@click.option("--out", "out", type=click.Path(path_type=Path), default=None,
              help="SVG file to write [default: build/ENVIRONMENT/diagram.svg]; '-' for stdout.")
def diagram(environment: str, config_path: Path, out: Path | None) -> None:
    """Draw ENVIRONMENT's rendered architecture as SVG: stacks, resources and what flows between them."""
    from airhost.render.diagram import render_diagram

    project = project_from(config_path)
    env = _cloud_environment(project, environment)
    stacks = stacks_of(project, env)
    svg = render_diagram(stacks, f"{env.project} / {env.name}: {env.ecs.capacity}, {env.ecs.topology}, "
                                 f"access {env.access.mode}, {env.region}")
    if out is not None and str(out) == "-":
        click.echo(svg, nl=False)
        return
    path = out if out is not None else project.root / "build" / env.name / "diagram.svg"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(svg, encoding="utf-8")
    stdout.print(f"wrote {path}")


COMMANDS = [render, diagram]
