"""Golden templates of the examples: render them, and rewrite the checked-in copies.

Regenerate after an intended change, then review the diff like any code change:

    python3 -m tests.golden.update

EKS environments (``examples/eks``) also get ``values.json``: the Helm values with the render's
placeholders for deploy-time facts; those with a schedule ``schedule.json``: the CronJobs and
their RBAC that airhost applies beside the chart.

Each example environment gets a folder ``tests/golden/<example>/<environment>/`` with one
``<layer>.json`` per stack and ``stacks.json`` (order, parameters, inputs). airhost's version in the
templates' stamp is written as ``VERSION`` so a release does not rewrite every file.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).resolve().parent
EXAMPLES = ROOT / "examples"
# Example folders with cloud environments (examples/quickstart is the local-only starter).
ECS_EXAMPLES = ("ecs",)
EKS_EXAMPLES = ("eks",)
CLOUD_EXAMPLES = ("ecs", "ec2")
CLOUD_TARGETS = ("ecs", "ec2")

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from airhost.config import load_project  # noqa: E402
from airhost.config.models import Environment  # noqa: E402
from airhost.render.files import stack_manifest  # noqa: E402
from airhost.render.stacks import StackTemplate  # noqa: E402


def example_environments(targets: tuple[str, ...] = CLOUD_TARGETS) -> dict[str, tuple[Environment, str]]:
    """"<example>/<environment>" → (environment, config hash) for every cloud environment."""
    found = {}
    for example in CLOUD_EXAMPLES:
        project = load_project(EXAMPLES / example)
        for name, env in project.environments.items():
            if env.target in targets:
                found[f"{example}/{name}"] = (env, project.config_hash)
    return found


def example_stacks() -> dict[str, list[StackTemplate]]:
    from airhost.targets import target_of

    return {key: target_of(env).render(env, config_hash)  # type: ignore[misc]
            for key, (env, config_hash) in example_environments().items()}


def normalized(template: dict[str, Any]) -> dict[str, Any]:
    copy = json.loads(json.dumps(template))
    copy["Metadata"]["airhost"]["version"] = "VERSION"
    return copy


def golden_files(stacks: list[StackTemplate]) -> dict[str, Any]:
    """File name → content for one environment."""
    files: dict[str, Any] = {f"{stack.layer}.json": normalized(stack.template) for stack in stacks}
    files["stacks.json"] = stack_manifest(stacks, "json")
    return files


def golden_dockerfile(env: Environment, config_hash: str) -> str:
    """The Dockerfile of an example environment (requirements present, no plugins)."""
    from airhost import __version__
    from airhost.render.dockerfile import image_inputs, render_dockerfile

    inputs = image_inputs(env, has_requirements=True, has_plugins=False)
    return render_dockerfile(env, inputs, config_hash).replace(f"airhost {__version__}", "airhost VERSION")


def eks_golden_files() -> dict[str, dict[str, Any]]:
    """"eks/<environment>" → file name → content, for every EKS example environment."""
    from airhost.render.eks import render_stacks as render_eks
    from airhost.render.eks.schedule import render_schedule
    from airhost.render.eks.values import placeholder_facts, render_values

    found = {}
    for example in EKS_EXAMPLES:
        project = load_project(EXAMPLES / example)
        for name, env in project.environments.items():
            if env.target != "eks":
                continue
            files = golden_files(render_eks(env, project.config_hash))
            files["values.json"] = render_values(env, placeholder_facts(env))
            if env.schedule is not None:
                files["schedule.json"] = render_schedule(env, files["values.json"])
            found[f"{example}/{name}"] = files
    return found


def main() -> None:
    for example in EKS_EXAMPLES:
        shutil.rmtree(GOLDEN / example, ignore_errors=True)
    for key, files in eks_golden_files().items():
        (GOLDEN / key).mkdir(parents=True, exist_ok=True)
        for name, content in files.items():
            (GOLDEN / key / name).write_text(json.dumps(content, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {(GOLDEN / key).relative_to(ROOT)}")
    for example in CLOUD_EXAMPLES:
        shutil.rmtree(GOLDEN / example, ignore_errors=True)
    for key, stacks in example_stacks().items():
        folder = GOLDEN / key
        folder.mkdir(parents=True, exist_ok=True)
        for name, content in golden_files(stacks).items():
            (folder / name).write_text(json.dumps(content, indent=2) + "\n", encoding="utf-8")
        env, config_hash = example_environments()[key]
        if env.target == "ecs":  # only ECS builds the project's image
            (folder / "Dockerfile").write_text(golden_dockerfile(env, config_hash), encoding="utf-8")
        print(f"wrote {folder.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
