"""Fixtures for the ECS rendering tests: every example environment, rendered once per session."""

from __future__ import annotations

import pytest

from tests.golden.update import example_environments, example_stacks


@pytest.fixture(scope="session")
def examples():
    """"ecs/<environment>" → its stacks in deploy order (tests/ec2 has the EC2 examples')."""
    return {key: stacks for key, stacks in example_stacks().items() if key.startswith("ecs/")}


@pytest.fixture(scope="session")
def environments():
    """"ecs/<environment>" → (Environment, config hash)."""
    return example_environments(targets=("ecs",))


def stack(stacks, layer):
    """The stack of ``layer`` in a list of stacks, or None."""
    return next((s for s in stacks if s.layer == layer), None)


def resources_of(template, type_):
    return {name: r for name, r in template["Resources"].items() if r["Type"] == type_}
