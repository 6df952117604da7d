"""Loading airhost.yaml: inheritance of shared sections, defaults, hashing and the schema."""

from __future__ import annotations

import json

import pytest

from airhost.config import json_schema, load_project
from airhost.errors import ConfigError

TWO_ENVIRONMENTS = """
project: analytics
airflow:
  version: "3.3.2"
  executor: local
  config:
    core: {parallelism: 64}
database:
  instance_class: db.t4g.small
environments:
  local:
    target: local
  prod:
    target: ecs
    region: eu-west-1
    airflow:
      config:
        core: {max_active_tasks_per_dag: 32}
    database:
      storage_gb: 50
"""


def test_environment_inherits_shared_sections_and_overrides_keys(write_project):
    project = load_project(write_project(TWO_ENVIRONMENTS))
    prod = project.environment("prod")
    # deep merge: the shared setting stays, the environment adds its own
    assert prod.airflow.config == {"core": {"parallelism": 64, "max_active_tasks_per_dag": 32}}
    assert prod.database.instance_class == "db.t4g.small"
    assert prod.database.storage_gb == 50
    local = project.environment("local")
    assert local.database.storage_gb == 20
    assert local.airflow.config == {"core": {"parallelism": 64}}


def test_defaults_are_secure_and_documented(write_project):
    prod = load_project(write_project(TWO_ENVIRONMENTS)).environment("prod")
    assert prod.access.mode == "private"
    assert prod.database.backup_days == 7
    assert prod.auth_manager == "fab"
    assert load_project(write_project(TWO_ENVIRONMENTS)).environment("local").auth_manager == "simple"


def test_default_environment_is_the_first_local_one(write_project):
    project = load_project(write_project(TWO_ENVIRONMENTS))
    assert project.environment(None, local_default=True).name == "local"
    with pytest.raises(ConfigError, match="several"):
        project.environment(None)


def test_config_hash_changes_with_content_only(write_project, tmp_path):
    first = load_project(write_project(TWO_ENVIRONMENTS)).config_hash
    again = load_project(write_project(TWO_ENVIRONMENTS, tmp_path / "other")).config_hash
    changed = load_project(write_project(TWO_ENVIRONMENTS.replace("50", "60"), tmp_path / "x")).config_hash
    assert first == again
    assert first != changed


def test_error_in_inherited_section_is_reported_once_at_its_own_place(write_project):
    text = TWO_ENVIRONMENTS.replace("instance_class: db.t4g.small", "instance_class: small")
    with pytest.raises(ConfigError) as caught:
        load_project(write_project(text))
    problems = caught.value.problems
    assert len(problems) == 1
    assert problems[0].startswith("database.instance_class (line 9)")


def test_name_and_project_cannot_be_set_per_environment(write_project):
    with pytest.raises(ConfigError, match="set by airhost"):
        load_project(write_project("project: a1\nenvironments:\n  local: {target: local, name: x}\n"))


def test_schema_describes_the_file_for_editors():
    schema = json_schema()
    json.dumps(schema)  # serialisable
    assert schema["required"] == ["project", "environments"]
    env = schema["properties"]["environments"]["additionalProperties"]
    assert env["required"] == ["target"]
    assert "ecs" in env["properties"] and "airflow" in schema["properties"]
    assert "name" not in env["properties"]


def test_schema_command_prints_json(run_cli):
    result = run_cli("schema")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["title"] == "airhost.yaml"
