"""Bad airhost.yaml of every kind: exit code 2, a message naming the problem, no traceback."""

from __future__ import annotations

import pytest

BASE_LOCAL = "project: shop\nenvironments:\n  local:\n    target: local\n"

# (id, file content, fragments the message must contain)
BAD_CONFIGS = [
    ("yaml-syntax", "project: shop\nenvironments:\n  local:\n    target: [local\n",
     ["not valid YAML", "line"]),
    ("yaml-tab-indent", "project: shop\nenvironments:\n\tlocal: {}\n", ["not valid YAML", "line 3"]),
    ("duplicate-key", "project: shop\nproject: other\nenvironments:\n  local: {target: local}\n",
     ["duplicate key 'project'", "line 2", "first at line 1"]),
    ("not-a-mapping", "- just\n- a list\n", ["must be a mapping"]),
    ("empty-file", "", ["is empty"]),
    ("missing-project", "environments:\n  local: {target: local}\n", ["project", "required"]),
    ("missing-environments", "project: shop\n", ["environments", "required"]),
    ("no-environments", "project: shop\nenvironments: {}\n", ["environments", "at least 1"]),
    ("unknown-top-key", BASE_LOCAL + "airflw:\n  version: '3.3.2'\n", ["unknown key 'airflw'",
                                                                       "did you mean 'airflow'"]),
    ("unknown-nested-key", BASE_LOCAL + "airflow:\n  executr: local\n",
     ["airflow.executr", "did you mean 'executor'"]),
    ("unknown-env-key", "project: shop\nenvironments:\n  local:\n    target: local\n    regoin: x\n",
     ["environments.local.regoin", "did you mean 'region'"]),
    ("wrong-type", BASE_LOCAL + "database:\n  storage_gb: lots\n", ["database.storage_gb",
                                                                    "valid integer"]),
    ("impossible-value", BASE_LOCAL + "database:\n  backup_days: 90\n", ["database.backup_days",
                                                                         "35"]),
    ("bad-target", "project: shop\nenvironments:\n  local:\n    target: kubernetes\n",
     ["environments.local.target", "'kubernetes' is not allowed"]),
    ("bad-executor", BASE_LOCAL + "airflow:\n  executor: sequential\n",
     ["airflow.executor", "'sequential' is not allowed"]),
    ("airflow-2", BASE_LOCAL + "airflow:\n  version: '2.10.5'\n",
     ["airflow.version", "not supported", "3.x"]),
    ("airflow-not-a-version", BASE_LOCAL + "airflow:\n  version: latest\n",
     ["airflow.version", "'latest' is not a release version"]),
    ("python-without-image", BASE_LOCAL + "airflow:\n  python: '3.8'\n",
     ["airflow.python", "no official Airflow image"]),
    ("project-name-aws", "project: My_Shop\nenvironments:\n  local: {target: local}\n",
     ["project", "cannot be used in AWS resource names"]),
    ("env-name-aws", "project: shop\nenvironments:\n  Prod_1: {target: local}\n",
     ["environment name 'Prod_1'"]),
    ("cloud-without-region", "project: shop\nenvironments:\n  prod: {target: ecs}\n",
     ["environments.prod", "needs a region"]),
    ("bad-region", "project: shop\nenvironments:\n  prod: {target: ecs, region: europe}\n",
     ["environments.prod.region", "not an AWS region"]),
    ("executor-target-mismatch",
     "project: shop\nairflow: {executor: kubernetes}\nenvironments:\n  local: {target: local}\n",
     ["executor kubernetes needs target eks"]),
    ("reserved-airflow-setting", BASE_LOCAL + "airflow:\n  config:\n    core: {fernet_key: abc}\n",
     ["core.fernet_key", "cannot be set here"]),
    ("alb-without-certificate",
     "project: shop\nenvironments:\n  prod:\n    target: ecs\n    region: eu-west-1\n"
     "    access: {mode: alb, allowed_cidrs: [10.0.0.0/8]}\n",
     ["environments.prod.access", "certificate_arn"]),
    ("bad-cidr",
     "project: shop\nenvironments:\n  prod:\n    target: ecs\n    region: eu-west-1\n"
     "    access:\n      mode: alb\n      certificate_arn: arn:aws:acm:eu-west-1:123456789012:certificate/x\n"
     "      allowed_cidrs: [10.0.0.0/33]\n",
     ["allowed_cidrs", "not a CIDR block"]),
    ("password-in-db-url", BASE_LOCAL + "database:\n  url: postgresql://me:secret@db:5432/airflow\n",
     ["database.url", "contains a password"]),
    ("instance-class", "project: shop\nenvironments:\n  prod:\n    target: ecs\n    region: eu-west-1\n"
     "    database: {instance_class: t3.micro}\n",
     ["environments.prod.database.instance_class", "not an RDS instance class"]),
    ("workers-min-over-max", BASE_LOCAL + "workers: {min: 5, max: 2}\n", ["workers", "larger than max"]),
    ("git-without-url", BASE_LOCAL + "dags: {source: git}\n", ["dags.git is missing"]),
]


@pytest.mark.parametrize("name,content,fragments", BAD_CONFIGS, ids=[c[0] for c in BAD_CONFIGS])
def test_bad_config_is_refused_with_a_readable_message(run_cli, tmp_path, name, content, fragments):
    (tmp_path / "airhost.yaml").write_text(content)
    result = run_cli("validate", "--config", str(tmp_path))
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, f"{fragment!r} missing from:\n{result.stderr}"
    assert result.stdout == ""


def test_missing_file_says_how_to_start(run_cli, tmp_path):
    result = run_cli("validate", "--config", str(tmp_path / "nowhere"))
    assert result.exit_code == 2
    assert "does not exist" in result.stderr and "airhost init" in result.stderr


def test_every_problem_is_listed_at_once(run_cli, tmp_path):
    (tmp_path / "airhost.yaml").write_text(
        BASE_LOCAL + "airflow:\n  executr: local\ndatabase:\n  backup_days: 0\n")
    result = run_cli("validate", "--config", str(tmp_path))
    assert result.exit_code == 2
    assert "airflow.executr (line 6)" in result.stderr
    assert "database.backup_days (line 8)" in result.stderr


def test_unknown_environment_suggests_the_closest(run_cli, write_project):
    root = write_project(BASE_LOCAL)
    result = run_cli("status", "locl", "--config", str(root))
    assert result.exit_code == 2
    assert "environment 'locl' is not in airhost.yaml" in result.stderr
    assert "did you mean 'local'" in result.stderr


def test_debug_shows_the_traceback(run_cli, tmp_path):
    (tmp_path / "airhost.yaml").write_text("project: shop\n")
    result = run_cli("--debug", "validate", "--config", str(tmp_path))
    assert result.exit_code == 2
    assert "Traceback" in result.stderr


def test_a_requirements_file_that_does_not_exist_is_refused(run_cli, tmp_path):
    (tmp_path / "airhost.yaml").write_text(
        "project: shop\nairflow: {requirements: reqs/prod.txt}\nenvironments:\n  local: {target: local}\n")
    result = run_cli("validate", "--config", str(tmp_path))
    assert result.exit_code == 2 and "Traceback" not in result.stderr
    assert "airflow.requirements (line 2)" in result.stderr
    assert "names reqs/prod.txt, which does not exist" in result.stderr
    (tmp_path / "reqs").mkdir()
    (tmp_path / "reqs" / "prod.txt").write_text("")
    assert run_cli("validate", "--config", str(tmp_path)).exit_code == 0
