"""init and validate as a user runs them."""

from __future__ import annotations

import json

from airhost import __version__


def test_version(run_cli):
    result = run_cli("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"airhost {__version__}"


def test_every_command_has_help(run_cli):
    top = run_cli("--help")
    assert top.exit_code == 0
    commands = [line.split()[0] for line in top.stdout.split("Commands:")[1].splitlines() if line.strip()]
    assert {"init", "validate", "schema", "up", "down", "status", "logs"} <= set(commands)
    for command in commands:
        result = run_cli(command, "--help")
        assert result.exit_code == 0, command
        assert "Usage:" in result.stdout and len(result.stdout.splitlines()) > 3, command


def test_init_creates_a_project_that_validates(run_cli, tmp_path):
    folder = tmp_path / "My Team"
    result = run_cli("init", str(folder))
    assert result.exit_code == 0
    for name in ("airhost.yaml", "requirements.txt", ".gitignore", "dags/example_pipeline.py"):
        assert (folder / name).is_file(), name
    assert ".airhost/" in (folder / ".gitignore").read_text()
    assert "project: my-team" in (folder / "airhost.yaml").read_text()
    assert "# prod:" in (folder / "airhost.yaml").read_text()
    check = run_cli("validate", "--config", str(folder), "--output", "json")
    assert check.exit_code == 0
    assert json.loads(check.stdout)["environments"]["local"]["target"] == "local"


def test_init_refuses_to_overwrite_without_force(run_cli, tmp_path):
    assert run_cli("init", str(tmp_path)).exit_code == 0
    (tmp_path / "airhost.yaml").write_text("project: mine\n")
    refused = run_cli("init", str(tmp_path))
    assert refused.exit_code == 2
    assert "--force" in refused.stderr
    assert (tmp_path / "airhost.yaml").read_text() == "project: mine\n"
    assert run_cli("init", str(tmp_path), "--force").exit_code == 0
    assert "project: mine" not in (tmp_path / "airhost.yaml").read_text()


def test_validate_prints_ok(run_cli, write_project):
    root = write_project("project: shop\nenvironments:\n  local: {target: local}\n")
    result = run_cli("validate", "-c", str(root))
    assert result.exit_code == 0
    assert result.stdout.startswith("OK: shop")
