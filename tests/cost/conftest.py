"""Environments of the repository's examples, and the shipped price table."""

from __future__ import annotations

import pytest

from airhost.config import load_project
from airhost.cost import load_price_table
from tests.conftest import REPO


@pytest.fixture(scope="session")
def examples():
    """examples("ecs", "fg-solo") → that environment, as loaded from the example's airhost.yaml."""
    projects = {name: load_project(REPO / "examples" / name) for name in ("ecs", "quickstart")}
    return lambda example, name: projects[example].environments[name]


@pytest.fixture(scope="session")
def table():
    return load_price_table()
