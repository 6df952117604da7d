"""Per-queue task pod sizes: the rendered cluster policy, run against the Kubernetes models the
official image's KubernetesExecutor uses, and carried by the chart into every component's config."""

from __future__ import annotations

import types
from pathlib import Path

import pytest

from airhost.errors import ConfigError
from airhost.config.loader import validate_project
from airhost.render.eks.task_sizes import local_settings


def eks_env(**eks):
    data = {"project": "shop", "region": "eu-west-1",
            "environments": {"k8s": {"target": "eks", "eks": eks}}}
    return validate_project(data, {}, root=Path("/p"), source="test").environment("k8s")


def policy(env) -> types.ModuleType:
    """The rendered airflow_local_settings.py, imported as Airflow imports it."""
    module = types.ModuleType("airflow_local_settings")
    exec(compile(local_settings(env), "airflow_local_settings.py", "exec"), module.__dict__)
    return module


def task(queue: str, executor_config=None):
    return types.SimpleNamespace(queue=queue, executor_config=executor_config)


def test_a_task_on_a_sized_queue_gets_a_pod_of_that_size():
    from kubernetes.client import models as k8s

    settings = policy(eks_env(task_queues={"heavy": {"cpu": "3", "memory": "12Gi"}}))
    heavy = task("heavy", {"other": 1})
    settings.task_policy(heavy)
    pod = heavy.executor_config["pod_override"]
    assert isinstance(pod, k8s.V1Pod)
    container = pod.spec.containers[0]
    assert container.name == "base"  # the KubernetesExecutor's task container
    assert container.resources.requests == {"cpu": "3", "memory": "12Gi"}
    assert container.resources.limits == {"memory": "12Gi"}
    assert heavy.executor_config["other"] == 1  # the rest of the task's config is kept


def test_other_queues_and_a_dags_own_pod_override_are_left_alone():
    settings = policy(eks_env(task_queues={"heavy": {"cpu": "3", "memory": "12Gi"}}))
    default = task("default")
    settings.task_policy(default)
    assert default.executor_config is None
    own = object()
    chosen = task("heavy", {"pod_override": own})
    settings.task_policy(chosen)
    assert chosen.executor_config["pod_override"] is own


def test_without_task_queues_no_policy_is_rendered():
    assert local_settings(eks_env()) is None
    assert local_settings(eks_env(resources={"task": {"cpu": "1", "memory": "2Gi"}})) is None


@pytest.mark.parametrize(("queues", "words"), [
    ({"heavy": {"cpu": "lots", "memory": "1Gi"}}, "not a Kubernetes quantity"),
    ({"he avy": {"cpu": "1", "memory": "1Gi"}}, "not a queue name"),
])
def test_bad_task_queues_say_what_to_write(queues, words):
    with pytest.raises(ConfigError, match=words):
        eks_env(task_queues=queues)


def test_task_queues_need_the_kubernetes_executor():
    data = {"project": "shop", "region": "eu-west-1", "environments": {"k8s": {
        "target": "eks", "airflow": {"executor": "celery"},
        "eks": {"image": "ecr", "task_queues": {"heavy": {"cpu": "1", "memory": "1Gi"}}}}}}
    with pytest.raises(ConfigError, match="workers.queues"):
        validate_project(data, {}, root=Path("/p"), source="test")


def test_the_chart_puts_the_policy_in_every_components_config(environments, values, manifests):
    env, _ = environments["nodes"]
    assert values["nodes"]["airflowLocalSettings"] == local_settings(env)
    config_maps = [m for m in manifests["nodes"] if m.get("kind") == "ConfigMap"
                   and "airflow_local_settings.py" in m.get("data", {})]
    assert len(config_maps) == 1
    assert config_maps[0]["data"]["airflow_local_settings.py"].strip() == local_settings(env).strip()
    assert "airflowLocalSettings" not in values["auto"]  # no sized queue: the chart's own default
