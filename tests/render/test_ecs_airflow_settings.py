"""What Airflow reads inside the ECS tasks: the settings it needs for the chosen auth manager,
executor, secrets backend, remote logging and DAG bundle, and its secrets from Secrets Manager."""

from __future__ import annotations

import json

from airhost.render.airflow_env import AUTH_MANAGERS, EXECUTORS, SECRET_SETTINGS, SSM_BACKEND
from tests.render.conftest import resources_of, stack


def _containers(stacks):
    airflow = stack(stacks, "airflow").template
    for name, task in resources_of(airflow, "AWS::ECS::TaskDefinition").items():
        for container in task["Properties"]["ContainerDefinitions"]:
            if container["Name"] == "airflow":
                yield name, container


def _environment(container):
    return {item["Name"]: item["Value"] for item in container["Environment"]}


def _plain(value):
    """A value as Airflow will see it, with ${Parameter} left in place."""
    if isinstance(value, dict) and "Fn::Sub" in value:
        text = value["Fn::Sub"]
        return text if isinstance(text, str) else text[0]
    return value


def test_every_airflow_container_gets_its_secrets_from_the_data_stack(examples):
    for key, stacks in examples.items():
        for name, container in _containers(stacks):
            injected = {item["Name"]: item["ValueFrom"] for item in container["Secrets"]}
            for variable in SECRET_SETTINGS.values():
                assert variable in injected, f"{key} {name} lacks {variable}"
                assert variable not in _environment(container)
            assert injected["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] == {"Ref": "DatabaseUrlSecretArn"}
            assert injected["AIRFLOW__CORE__FERNET_KEY"] == {"Ref": "FernetKeySecretArn"}


def test_cloud_uses_the_fab_auth_manager_and_the_configured_executor(examples, environments):
    for key, stacks in examples.items():
        env, _ = environments[key]
        for _name, container in _containers(stacks):
            values = _environment(container)
            assert values["AIRFLOW__CORE__AUTH_MANAGER"] == AUTH_MANAGERS["fab"]
            assert values["AIRFLOW__CORE__EXECUTOR"] == EXECUTORS[env.airflow.executor]


def test_connections_and_variables_come_from_ssm_under_the_environment_path(examples):
    for key, stacks in examples.items():
        for _name, container in _containers(stacks):
            values = _environment(container)
            assert values["AIRFLOW__SECRETS__BACKEND"] == SSM_BACKEND
            kwargs = json.loads(values["AIRFLOW__SECRETS__BACKEND_KWARGS"])
            assert kwargs["connections_prefix"] == f"/airhost/analytics/{key.split('/')[1]}/connections"
            assert kwargs["region_name"] == "eu-west-1"


def test_task_logs_go_to_the_logs_bucket_that_the_task_role_may_write(examples):
    for key, stacks in examples.items():
        airflow = stack(stacks, "airflow").template
        for _name, container in _containers(stacks):
            values = _environment(container)
            assert values["AIRFLOW__LOGGING__REMOTE_LOGGING"] == "True"
            assert _plain(values["AIRFLOW__LOGGING__REMOTE_BASE_LOG_FOLDER"]) == "s3://${LogsBucket}/task-logs"
        policy = json.dumps(airflow["Resources"]["TaskRole"]["Properties"]["Policies"])
        assert "${LogsBucket}/task-logs/*" in policy and "s3:PutObject" in policy


def test_the_dag_bundle_is_read_from_the_dags_bucket_or_git(examples):
    bundle = _environment(dict(_containers(examples["ecs/fg-solo"]))["StandaloneTaskDefinition"])
    config = json.loads(_plain(bundle["AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST"]))
    assert config[0]["classpath"].endswith("S3DagBundle")
    assert config[0]["kwargs"]["bucket_name"] == "${DagsBucket}"
    git = _environment(dict(_containers(examples["ecs/fg-ecs-exec"]))["SchedulerTaskDefinition"])
    config = json.loads(git["AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST"])
    assert config[0]["classpath"].endswith("GitDagBundle")


def test_components_reach_the_execution_api_where_the_api_server_is(examples):
    solo = _environment(dict(_containers(examples["ecs/fg-solo"]))["StandaloneTaskDefinition"])
    assert solo["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://localhost:8080/execution/"
    split = examples["ecs/mi-split"]
    airflow = stack(split, "airflow").template
    scheduler = _environment(dict(_containers(split))["SchedulerTaskDefinition"])
    namespace = airflow["Resources"]["Namespace"]["Properties"]["Name"]
    discovered = airflow["Resources"]["ApiServerDiscovery"]["Properties"]["Name"]
    assert scheduler["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == (
        f"http://{discovered}.{namespace}:8080/execution/")


def test_celery_uses_the_sqs_queues_the_stack_creates(examples):
    stacks = examples["ecs/fg-split-alb"]
    worker = _environment(dict(_containers(stacks))["WorkerTaskDefinition"])
    assert worker["AIRFLOW__CELERY__BROKER_URL"] == "sqs://"
    prefix = worker["AIRFLOW__CELERY_BROKER_TRANSPORT_OPTIONS__QUEUE_NAME_PREFIX"]
    queues = resources_of(stack(stacks, "airflow").template, "AWS::SQS::Queue")
    assert {q["Properties"]["QueueName"] for q in queues.values()} == {prefix + "default", prefix + "heavy"}
    assert worker["AIRFLOW__CELERY__WORKER_CONCURRENCY"] == "8"


def test_the_ecs_executor_knows_its_cluster_task_definition_and_network(examples):
    stacks = examples["ecs/fg-ecs-exec"]
    airflow = stack(stacks, "airflow").template
    scheduler = _environment(dict(_containers(stacks))["SchedulerTaskDefinition"])
    assert scheduler["AIRFLOW__AWS_ECS_EXECUTOR__CLUSTER"] == airflow["Resources"]["Cluster"]["Properties"]["ClusterName"]
    family = airflow["Resources"]["WorkerTaskDefinition"]["Properties"]["Family"]
    assert scheduler["AIRFLOW__AWS_ECS_EXECUTOR__TASK_DEFINITION"] == family
    assert scheduler["AIRFLOW__AWS_ECS_EXECUTOR__CONTAINER_NAME"] == "airflow"
    subnets = scheduler["AIRFLOW__AWS_ECS_EXECUTOR__SUBNETS"]
    assert subnets["Fn::Sub"][1] == {"SubnetIdList": {"Fn::Join": [",", {"Ref": "SubnetIds"}]}}


def test_the_utils_task_can_create_the_admin_user(examples):
    for stacks in examples.values():
        utils = dict(_containers(stacks))["UtilsTaskDefinition"]
        names = {item["Name"] for item in utils["Secrets"]}
        assert {"AIRHOST_ADMIN_USERNAME", "AIRHOST_ADMIN_PASSWORD"} <= names


def test_the_url_people_open_is_airflow_base_url(examples):
    api = _environment(dict(_containers(examples["ecs/fg-split-alb"]))["ApiServerTaskDefinition"])
    assert api["AIRFLOW__API__BASE_URL"] == {"Fn::Sub": "${PublicUrl}/"}
    tailnet = _environment(dict(_containers(examples["ecs/mi-solo-ts"]))["StandaloneTaskDefinition"])
    assert tailnet["AIRFLOW__API__BASE_URL"] == "https://airflow.tail1234.ts.net/"


def test_a_users_own_dollar_braces_survive_cloudformation_substitution():
    from pathlib import Path

    from airhost.config.loader import validate_project
    from airhost.render.ecs import render_stacks

    data = {"project": "shop", "region": "eu-west-1", "airflow": {"config": {"logging": {
        "log_filename_template": "${LogsBucket}/{{ ti.dag_id }}/${HOME}"}}},
        "environments": {"prod": {"target": "ecs"}}}
    env = validate_project(data, {}, root=Path("/p"), source="test").environment("prod")
    values = _environment(dict(_containers(render_stacks(env, "x")))["StandaloneTaskDefinition"])
    assert values["AIRFLOW__LOGGING__LOG_FILENAME_TEMPLATE"] == {
        "Fn::Sub": "${LogsBucket}/{{ ti.dag_id }}/${!HOME}"}
