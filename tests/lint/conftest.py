"""Fixtures for the lint tier: every example's templates, written once to a folder."""

from __future__ import annotations

import json

import pytest

from tests.golden.update import example_environments, example_stacks


@pytest.fixture(scope="session")
def rendered(tmp_path_factory):
    """(folder of every template as <example>-<env>-<layer>.json, {file name: (region, template)})."""
    folder = tmp_path_factory.mktemp("templates")
    environments = example_environments()
    templates = {}
    for key, stacks in example_stacks().items():
        env, _ = environments[key]
        for stack in stacks:
            name = f"{key.replace('/', '-')}-{stack.layer}.json"
            (folder / name).write_text(json.dumps(stack.template, indent=1), encoding="utf-8")
            templates[name] = (env.region, stack.template)
    return folder, templates
