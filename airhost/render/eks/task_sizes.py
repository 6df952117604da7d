"""Task pod sizes per queue for the KubernetesExecutor, as an Airflow cluster policy.

The KubernetesExecutor builds every task's pod from one pod template; a task asks for another size
with ``executor_config={"pod_override": k8s.V1Pod(...)}`` in its DAG. ``eks.task_queues`` gives
sizes by queue instead, so a DAG says only ``queue="heavy"``: the chart's ``airflowLocalSettings``
(``airflow_local_settings.py`` in every component's config) carries a ``task_policy`` — Airflow's
own cluster-policy hook, run as each DAG is parsed — that gives a task on a sized queue a
``pod_override`` for the task container (``base``): the queue's CPU and memory requests, and its
memory as the limit, as for the default size. A task that already has a ``pod_override`` keeps it:
the DAG's own word wins.

``local_settings(env)`` is pure: the same sizes give the same source, byte for byte.
"""

from __future__ import annotations

import json

from airhost.config.models import Environment

TEMPLATE = '''\
"""Airflow cluster policies rendered by airhost: KubernetesExecutor task pod sizes per queue."""

from kubernetes.client import models as k8s

# queue -> the task container's CPU and memory requests (memory is the limit too)
QUEUE_RESOURCES = {sizes}


def task_policy(task):
    size = QUEUE_RESOURCES.get(task.queue)
    config = dict(task.executor_config or {{}})
    if size is None or config.get("pod_override") is not None:
        return
    resources = k8s.V1ResourceRequirements(requests=dict(size), limits={{"memory": size["memory"]}})
    config["pod_override"] = k8s.V1Pod(
        spec=k8s.V1PodSpec(containers=[k8s.V1Container(name="base", resources=resources)]))
    task.executor_config = config
'''


def local_settings(env: Environment) -> str | None:
    """``airflow_local_settings.py`` for the chart, or None when no queue has its own size."""
    if env.airflow.executor != "kubernetes" or not env.eks.task_queues:
        return None
    sizes = {queue: {"cpu": size.cpu, "memory": size.memory}
             for queue, size in sorted(env.eks.task_queues.items())}
    return TEMPLATE.format(sizes=json.dumps(sizes, indent=4, sort_keys=True))
