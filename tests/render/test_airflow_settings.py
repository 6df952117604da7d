"""The one Airflow renderer: pinned output for representative environments."""

from __future__ import annotations

import json

import pytest

from airhost.config.loader import validate_project
from airhost.render.airflow_env import SECRET_SETTINGS, Site, render_airflow_env


def environment(text_data: dict, name: str = "local"):
    project = validate_project(text_data, {}, root=__import__("pathlib").Path("/p"), source="test")
    return project.environment(name)


LOCAL = {"project": "shop", "airflow": {"config": {"core": {"parallelism": 16}}},
         "environments": {"local": {"target": "local"}}}
LOCAL_SITE = Site(airflow_home="/p/.airhost/local/home", dags_folder="/p/dags",
                  api_url="http://127.0.0.1:8080", api_host="127.0.0.1", api_port=8080,
                  log_folder="/p/.airhost/local/logs/tasks",
                  passwords_file="/p/.airhost/local/secrets/simple_auth_passwords.json")


def test_local_environment_is_pinned():
    rendered = render_airflow_env(environment(LOCAL), "scheduler", LOCAL_SITE)
    assert rendered.values == {
        "AIRFLOW_HOME": "/p/.airhost/local/home",
        "AIRFLOW__API__BASE_URL": "http://127.0.0.1:8080/",
        "AIRFLOW__API__EXPOSE_CONFIG": "False",
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": "8080",
        "AIRFLOW__CORE__AUTH_MANAGER":
            "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
        "AIRFLOW__CORE__DAGS_FOLDER": "/p/dags",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": "http://127.0.0.1:8080/execution/",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__PARALLELISM": "16",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE":
            "/p/.airhost/local/secrets/simple_auth_passwords.json",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
        "AIRFLOW__DAG_PROCESSOR__BUNDLE_REFRESH_CHECK_INTERVAL": "5",
        "AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST": json.dumps([{
            "classpath": "airflow.dag_processing.bundles.local.LocalDagBundle",
            "kwargs": {"path": "/p/dags", "refresh_interval": 10}, "name": "dags"}], sort_keys=True),
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "10",
        "AIRFLOW__DATABASE__CHECK_MIGRATIONS": "True",
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": "/p/.airhost/local/logs/tasks",
    }
    assert rendered.secrets == {variable: name for name, variable in SECRET_SETTINGS.items()}


CLOUD = {"project": "shop", "environments": {"prod": {
    "target": "ecs", "region": "eu-west-1", "airflow": {"executor": "celery"},
    "ecs": {"topology": "split", "image": "ecr"}, "workers": {"tasks_per_worker": 8}}}}
CLOUD_SITE = Site(airflow_home="/opt/airflow", dags_folder="/opt/airflow/dags",
                  api_url="http://api.shop-prod.local:8080", public_url="https://airflow.example.com",
                  remote_log_base="s3://shop-prod-logs/tasks", bundle_bucket="shop-prod-dags",
                  secrets_prefix="/airhost/shop/prod", region="eu-west-1", broker_url="sqs://")


def test_cloud_environment_uses_s3_bundle_remote_logs_and_ssm_secrets():
    values = render_airflow_env(environment(CLOUD, "prod"), "worker", CLOUD_SITE).values
    bundle = json.loads(values["AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST"])
    assert bundle == [{"name": "dags", "classpath": "airflow.providers.amazon.aws.bundles.s3.S3DagBundle",
                       "kwargs": {"bucket_name": "shop-prod-dags", "prefix": "dags",
                                  "aws_conn_id": "aws_default", "refresh_interval": 10}}]
    assert values["AIRFLOW__LOGGING__REMOTE_LOGGING"] == "True"
    assert values["AIRFLOW__LOGGING__REMOTE_BASE_LOG_FOLDER"] == "s3://shop-prod-logs/tasks"
    assert values["AIRFLOW__SECRETS__BACKEND"].endswith("SystemsManagerParameterStoreBackend")
    assert json.loads(values["AIRFLOW__SECRETS__BACKEND_KWARGS"]) == {
        "connections_prefix": "/airhost/shop/prod/connections",
        "variables_prefix": "/airhost/shop/prod/variables", "region_name": "eu-west-1"}
    assert values["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert values["AIRFLOW__CELERY__WORKER_CONCURRENCY"] == "8"
    assert values["AIRFLOW__CORE__AUTH_MANAGER"].endswith("FabAuthManager")
    assert values["AIRFLOW__API__BASE_URL"] == "https://airflow.example.com/"
    assert "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS" not in values


def test_no_secret_is_ever_a_plain_value():
    for component in ("api-server", "scheduler", "dag-processor", "triggerer", "worker", "utils"):
        rendered = render_airflow_env(environment(CLOUD, "prod"), component, CLOUD_SITE)
        for variable in SECRET_SETTINGS.values():
            assert variable not in rendered.values
            assert variable in rendered.secrets


def test_git_source_uses_the_git_bundle():
    data = {"project": "shop", "dags": {"source": "git", "git": {"url": "https://github.com/o/r.git",
                                                                  "branch": "prod"}},
            "environments": {"local": {"target": "local"}}}
    values = render_airflow_env(environment(data), "dag-processor", LOCAL_SITE).values
    bundle = json.loads(values["AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST"])[0]
    assert bundle["classpath"] == "airflow.providers.git.bundles.git.GitDagBundle"
    assert bundle["kwargs"]["repo_url"] == "https://github.com/o/r.git"
    assert bundle["kwargs"]["tracking_ref"] == "prod"


def test_user_settings_win_and_booleans_are_airflow_booleans():
    data = {"project": "shop", "airflow": {"config": {"core": {"load_examples": True},
                                                      "scheduler": {"parsing_processes": 4}}},
            "environments": {"local": {"target": "local"}}}
    values = render_airflow_env(environment(data), "scheduler", LOCAL_SITE).values
    assert values["AIRFLOW__CORE__LOAD_EXAMPLES"] == "True"
    assert values["AIRFLOW__SCHEDULER__PARSING_PROCESSES"] == "4"


def test_rendering_is_deterministic_and_rejects_unknown_components():
    env = environment(LOCAL)
    assert render_airflow_env(env, "api-server", LOCAL_SITE) == render_airflow_env(env, "api-server", LOCAL_SITE)
    with pytest.raises(ValueError):
        render_airflow_env(env, "webserver", LOCAL_SITE)  # type: ignore[arg-type]
