"""Fixtures for the EKS examples: environments, stacks, Helm values, and the manifests real Helm
renders from them with the official chart's unmodified offline copy (../shared/charts/).

The ``chart`` fixture (tests/conftest.py) is that copy, ready for Helm, named through
``AIRHOST_HELM_CHART``, the setting users set too.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from airhost.config import load_project
from airhost.render.eks import render_stacks
from airhost.render.eks.values import placeholder_facts, render_values
from tests.conftest import CHART  # noqa: F401  (the offline chart; the ``chart`` fixture is there)

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "eks"


def eks_environments():
    project = load_project(EXAMPLE)
    return {name: (env, project.config_hash) for name, env in project.environments.items()
            if env.target == "eks"}


@pytest.fixture(scope="session")
def environments():
    return eks_environments()


@pytest.fixture(scope="session")
def stacks(environments):
    return {name: render_stacks(env, config_hash) for name, (env, config_hash) in environments.items()}


@pytest.fixture(scope="session")
def values(environments):
    return {name: render_values(env, placeholder_facts(env)) for name, (env, _) in environments.items()}


@pytest.fixture(scope="session")
def manifests(environments, values, chart):
    from airhost.targets.eks import eks_manifests

    patch = pytest.MonkeyPatch()
    patch.setenv("AIRHOST_HELM_CHART", str(chart))
    try:
        return {name: eks_manifests(env, values[name]) for name, (env, _) in environments.items()}
    finally:
        patch.undo()
