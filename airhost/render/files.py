"""Rendered stacks as files: one template per stack, its parameters, and a manifest in deploy order.

Pure formatting (``format_*``) kept apart from writing (``write_stacks``); the bytes depend only on
the stacks, so the same config always writes the same files.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import yaml

from airhost.render.stacks import StackTemplate

Format = Literal["json", "yaml"]


class _Dumper(yaml.SafeDumper):
    """YAML that keeps insertion order and never uses aliases."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def format_template(template: dict[str, Any], fmt: Format) -> str:
    if fmt == "yaml":
        return yaml.dump(template, Dumper=_Dumper, sort_keys=False, default_flow_style=False, width=100)
    return json.dumps(template, indent=2) + "\n"


def stack_manifest(stacks: list[StackTemplate], fmt: Format) -> dict[str, Any]:
    """What a reviewer or a script needs to deploy the files: order, names, parameters, inputs."""
    return {
        "stacks": [
            {
                "order": index,
                "layer": stack.layer,
                "name": stack.name,
                "template": f"{stack.layer}.{fmt}",
                "parameters": stack.parameters,
                "inputs": {name: f"{layer}.{output}" for name, (layer, output) in stack.inputs.items()},
                "termination_protection": stack.termination_protection,
                "tags": stack.tags,
                "resources": len(stack.template.get("Resources", {})),
            }
            for index, stack in enumerate(stacks, start=1)
        ]
    }


def write_stacks(stacks: list[StackTemplate], folder: Path, fmt: Format) -> list[Path]:
    """Write each stack's template and ``stacks.json``; return the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for stack in stacks:
        path = folder / f"{stack.layer}.{fmt}"
        path.write_text(format_template(stack.template, fmt), encoding="utf-8")
        written.append(path)
    manifest = folder / "stacks.json"
    manifest.write_text(json.dumps(stack_manifest(stacks, fmt), indent=2) + "\n", encoding="utf-8")
    written.append(manifest)
    return written
