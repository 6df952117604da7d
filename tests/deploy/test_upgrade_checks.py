"""Upgrade checks that need no AWS: the version jump and the project's requirements."""

from __future__ import annotations

from pathlib import Path

import pytest

from airhost.config.loader import validate_project
from airhost.deploy.upgrade import check_compatibility, check_jump
from airhost.errors import UsageError


def prod(root: Path):
    data = {"project": "shop", "environments": {"prod": {"target": "ecs", "region": "eu-west-1"}}}
    return validate_project(data, {}, root=root, source="test").environment("prod")


@pytest.mark.network
def test_a_pinned_requirement_the_new_airflow_cannot_use_is_refused_with_the_reason(tmp_path):
    (tmp_path / "requirements.txt").write_text("pendulum==2.1.2  # an old pin\n")
    with pytest.raises(UsageError) as caught:
        check_compatibility(prod(tmp_path), tmp_path, "3.3.2")
    message = str(caught.value)
    assert "cannot be installed together with requirements.txt" in message
    assert "pendulum" in message  # the resolver names the conflict


@pytest.mark.network
def test_compatible_or_empty_requirements_pass(tmp_path):
    (tmp_path / "requirements.txt").write_text("# nothing yet\n")
    check_compatibility(prod(tmp_path), tmp_path, "3.3.2")
    (tmp_path / "requirements.txt").write_text("pendulum>=3\n")
    check_compatibility(prod(tmp_path), tmp_path, "3.3.2")


def test_an_index_out_of_reach_is_said_and_never_passes(tmp_path, monkeypatch):
    (tmp_path / "requirements.txt").write_text("pendulum>=3\n")
    # nothing cached, and every request goes to a proxy that is not there
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "uv-cache"))
    for name in ("https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    with pytest.raises(UsageError) as caught:
        check_compatibility(prod(tmp_path), tmp_path, "3.2.2")
    message = str(caught.value)
    assert "could not reach the package index" in message
    assert "cannot be installed together" not in message


def test_jump_rules():
    assert check_jump("3.1.3", "3.1.4") == []
    notes = check_jump("3.0.6", "3.3.2")
    assert any("skipping 2 minor release(s)" in note for note in notes)
    with pytest.raises(UsageError, match="does not downgrade"):
        check_jump("3.3.2", "3.2.0")
    with pytest.raises(UsageError, match="not supported"):
        check_jump("3.3.2", "4.0.0")
