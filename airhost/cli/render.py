"""``render`` and ``diagram``: what an environment will create in AWS, as files to review.

Both are pure: no AWS call, no credentials needed, the same config gives the same files.
"""

from __future__ import annotations

from pathlib import Path

import click

from airhost.cli.output import config_option, emit, output_option, progress, project_from, stdout
from airhost.config import Project
from airhost.config.models import Environment
from airhost.render.stacks import StackTemplate
from airhost.targets import Target, require


def stacks_of(project: Project, env: Environment, capability: str = "render") -> tuple[Target, list[StackTemplate]]:
    target = require(env, capability)
    assert target.render is not None
    return target, target.render(env, project.config_hash)


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
    and airflow (compute on EKS) — and stacks.json: the deploy order, stack names, the parameters
    each stack takes and which earlier stack's output fills each of them. On EKS also values.yaml
    (the Helm chart's values, deploy-time facts as PLACEHOLDER-<Output>) and, when
    AIRHOST_HELM_CHART names a local chart, manifests.yaml: every object Helm renders from them.
    """
    from airhost.render.files import write_stacks

    project = project_from(config_path)
    env = project.environment(environment)
    target, stacks = stacks_of(project, env)
    folder = out if out is not None else project.root / "build" / env.name
    paths = write_stacks(stacks, folder, fmt)  # type: ignore[arg-type]
    for name, content in (target.artifacts(env) if target.artifacts else {}).items():
        (folder / name).write_text(content, encoding="utf-8")
        paths.append(folder / name)
    findings: dict[str, list[str]] = {stack.name: [] for stack in stacks} if lint else {}
    if lint:
        from airhost.render.lint import lint_stacks

        progress(f"linting {len(stacks)} templates…")
        for name, finding in lint_stacks(stacks, env.region or "us-east-1"):
            findings[name].append(str(finding))
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
    env = project.environment(environment)
    target, stacks = stacks_of(project, env, "diagram")
    svg = render_diagram(stacks, f"{env.project} / {env.name}: {target.summary(env)}")
    if out is not None and str(out) == "-":
        click.echo(svg, nl=False)
        return
    path = out if out is not None else project.root / "build" / env.name / "diagram.svg"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(svg, encoding="utf-8")
    stdout.print(f"wrote {path}")


COMMANDS = [render, diagram]
