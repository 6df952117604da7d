"""``plan`` on the emulator, and the failures a user meets before anything is deployed."""

from __future__ import annotations

import json

import boto3
import pytest

pytestmark = pytest.mark.emulator


def test_plan_before_the_first_deploy_would_create_every_stack(shop, run_cli):
    result = run_cli("plan", "prod", "--config", str(shop.root), "-o", "json")

    assert result.exit_code == 0, result.stderr
    plans = json.loads(result.stdout)
    assert [p["action"] for p in plans] == ["create", "create", "create"]
    assert {"resource": "Database", "type": "AWS::RDS::DBInstance"}.items() <= \
        next(c for c in plans[1]["changes"] if c["resource"] == "Database").items()
    assert boto3.client("cloudformation").describe_stacks()["Stacks"] == []


def test_plan_of_a_changed_config_shows_the_changes_and_leaves_no_change_set(shop, run_cli):
    shop.deploy()
    shop.edit('python: "3.12"}', 'python: "3.12", config: {core: {parallelism: 64}}}')
    result = run_cli("plan", "prod", "--config", str(shop.root), "--detailed-exitcode")

    assert result.exit_code == 2  # Terraform's convention: 2 is "changes", 1 an error
    assert "shop-prod-airflow" in result.stdout and "AWS::ECS::TaskDefinition" in result.stdout
    # moto lists every change set ever executed too; one the plan left behind would be AVAILABLE
    listed = boto3.client("cloudformation").list_change_sets(StackName="shop-prod-airflow")
    assert [c for c in listed["Summaries"] if c["ExecutionStatus"] == "AVAILABLE"] == []


def test_plan_after_a_deploy_without_changes_exits_zero(shop, run_cli):
    shop.deploy()
    result = run_cli("plan", "prod", "--config", str(shop.root), "--detailed-exitcode")

    assert result.exit_code == 0, result.stderr
    assert "no changes" in result.stdout


def test_missing_credentials_say_how_to_provide_them(shop, run_cli, monkeypatch, tmp_path):
    for variable in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(variable)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    result = run_cli("deploy", "prod", "--yes", "--config", str(shop.root))

    assert result.exit_code == 4
    assert "no AWS credentials found" in result.stderr and "aws sso login" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_wrong_region_is_named_before_any_call(shop, run_cli):
    shop.edit("region: eu-west-1", "region: eu-west-9")
    result = run_cli("deploy", "prod", "--yes", "--config", str(shop.root))

    assert result.exit_code == 2
    assert "region 'eu-west-9' is not an AWS region" in result.stderr
    assert "did you mean eu-west-" in result.stderr


def test_running_a_command_in_an_environment_not_deployed(shop, run_cli):
    result = run_cli("run", "prod", "--config", str(shop.root), "--", "dags", "list")

    assert result.exit_code == 5
    assert "not deployed in eu-west-1" in result.stderr and "airhost deploy prod" in result.stderr


def test_a_template_error_blocks_the_deploy_before_any_aws_call(shop):
    from airhost.render.lint import TemplateInvalid
    from airhost.deploy import deploy_environment
    from airhost.deploy.pipeline import render
    from airhost.progress import Progress

    project = shop.project()
    env = project.environment("prod")
    stacks = render(env, project.config_hash)
    broken = stacks[0].template["Resources"]["Vpc"]["Properties"]
    broken["CidrBlok"] = broken.pop("CidrBlock")
    with pytest.raises(TemplateInvalid, match="E3002"):
        deploy_environment(env, project.config_hash, Progress(), stacks=stacks, confirm=False)
    assert boto3.client("cloudformation").describe_stacks()["Stacks"] == []


def test_deploy_through_the_cli_prints_a_summary_and_no_password(shop, run_cli):
    result = run_cli("deploy", "prod", "--yes", "--config", str(shop.root))

    assert result.exit_code == 0, result.stderr
    assert "deployed shop-prod in eu-west-1" in result.stdout
    assert "standalone: 1/1 running" in result.stdout
    assert "--show-password prints it" in result.stdout
    secret = boto3.client("secretsmanager").list_secrets()["SecretList"]
    admin = next(s for s in secret if "AdminSecret" in s["Name"])
    value = json.loads(boto3.client("secretsmanager").get_secret_value(
        SecretId=admin["ARN"])["SecretString"])
    assert value["password"] not in result.stdout + result.stderr

    shown = run_cli("deploy", "prod", "--yes", "--show-password", "--config", str(shop.root))
    assert value["password"] in shown.stdout


def test_deploy_without_yes_outside_a_terminal_changes_nothing(shop, run_cli):
    result = run_cli("deploy", "prod", "--config", str(shop.root))

    assert result.exit_code == 2
    assert "pass --yes" in result.stderr
    assert boto3.client("cloudformation").describe_stacks()["Stacks"] == []
