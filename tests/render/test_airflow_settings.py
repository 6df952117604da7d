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


def test_the_api_server_is_sized_from_the_cores_it_has():
    """A worker per core (at most four), and a database pool for each worker's share of the tasks
    that may run at once, so the API server does not open a connection per request."""
    env = environment(LOCAL)  # parallelism 16

    def api(cpus: float) -> dict[str, str]:
        site = Site(airflow_home="/h", dags_folder="/d", api_url="http://a:8080",
                    cpus={"api-server": cpus, "scheduler": cpus})
        values = render_airflow_env(env, "api-server", site).values
        scheduler = render_airflow_env(env, "scheduler", site).values
        assert "AIRFLOW__API__WORKERS" not in scheduler  # the API server's own settings
        return {key: values.get(key) for key in
                ("AIRFLOW__API__WORKERS", "AIRFLOW__DATABASE__SQL_ALCHEMY_POOL_SIZE")}

    assert api(0.5) == {"AIRFLOW__API__WORKERS": "1", "AIRFLOW__DATABASE__SQL_ALCHEMY_POOL_SIZE": "16"}
    assert api(2) == {"AIRFLOW__API__WORKERS": "2", "AIRFLOW__DATABASE__SQL_ALCHEMY_POOL_SIZE": "8"}
    assert api(16) == {"AIRFLOW__API__WORKERS": "4", "AIRFLOW__DATABASE__SQL_ALCHEMY_POOL_SIZE": "5"}
    # unknown size: Airflow's defaults
    assert "AIRFLOW__API__WORKERS" not in render_airflow_env(env, "api-server", LOCAL_SITE).values
    # the user's word wins
    mine = environment({**LOCAL, "airflow": {"config": {"api": {"workers": 3}}}})
    site = Site(airflow_home="/h", dags_folder="/d", api_url="http://a:8080", cpus={"api-server": 8})
    assert render_airflow_env(mine, "api-server", site).values["AIRFLOW__API__WORKERS"] == "3"


def test_each_target_renders_the_api_server_for_its_own_size():
    from airhost.render.ec2.node import ec2_site
    from airhost.render.ecs.tasks import ecs_site
    from airhost.render.eks.values import eks_site, placeholder_facts

    def workers(target: dict) -> str | None:
        env = environment({"project": "shop", "environments": {"prod": {"region": "eu-west-1",
                                                                        **target}}}, "prod")
        site = {"ecs": ecs_site, "ec2": ec2_site}.get(target["target"])
        site = site(env) if site else eks_site(env, placeholder_facts(env))
        return render_airflow_env(env, "api-server", site).values.get("AIRFLOW__API__WORKERS")

    assert workers({"target": "ecs"}) == "1"  # a quarter of the standalone task's 1 vCPU
    assert workers({"target": "ecs", "ecs": {"topology": "split",
                                            "sizes": {"api-server": {"cpu": 4096, "memory": 8192}}}}) == "4"
    assert workers({"target": "eks"}) == "1"  # 500m requested
    assert workers({"target": "eks", "eks": {"resources": {"api-server": {"cpu": "2", "memory": "4Gi"}}}}) == "2"
    assert workers({"target": "ec2"}) == "1"  # a quarter of a t4g.large
    assert workers({"target": "ec2", "ec2": {"instance_type": "m7g.2xlarge"}}) == "2"  # 8 / 4
    assert workers({"target": "ec2", "ec2": {"topology": "split", "instance_type": "m7g.xlarge"}}) == "4"
