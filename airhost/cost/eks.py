"""What an EKS environment's compute costs: the control plane, the nodes, Auto Mode's fee, the ALB.

Auto Mode chooses its own instance types; the estimate places the pods' requests (every component
at its replicas, the chart's StatsD and PgBouncer, Celery workers at their replicas) on m7g.large
equivalents (2 vCPU, 8 GiB, keeping 10% of CPU and 15% of memory for the node's own daemons) and
adds Auto Mode's management fee per instance. KubernetesExecutor task pods are counted for the
assumed task hours at their default request. A node group is counted at its min instances of its
first instance type, with its root volumes. The ALB of ``access.mode alb`` comes from the Ingress
(Auto Mode creates it), so it is priced here rather than counted in the templates.
"""

from __future__ import annotations

import math
import re

from airhost.config.models import Environment
from airhost.cost.compute import ComputeLine
from airhost.cost.mwaa import AirflowShape, WorkerGroup
from airhost.cost.prices import RegionPrices
from airhost.render.eks.values import DEFAULT_RESOURCES

AUTO_MODE_SHAPE = ("m7g.large", 2.0, 8.0)  # what the estimate packs pods onto
USABLE_CPU, USABLE_MEMORY = 0.9, 0.85
UNITS = {"Ki": 1 / 1024 ** 2, "Mi": 1 / 1024, "Gi": 1.0, "Ti": 1024.0, "k": 1e3 / 1024 ** 3,
         "M": 1e6 / 1024 ** 3, "G": 1e9 / 1024 ** 3, "T": 1e12 / 1024 ** 3}


def cpu_cores(quantity: str) -> float:
    return float(quantity[:-1]) / 1000 if quantity.endswith("m") else float(quantity)


def memory_gib(quantity: str) -> float:
    match = re.match(r"^([0-9.]+)([A-Za-z]*)$", quantity)
    assert match, quantity
    number, unit = float(match.group(1)), match.group(2)
    return number * UNITS[unit] if unit else number / 1024 ** 3


def _request(env: Environment, name: str) -> tuple[float, float]:
    size = env.eks.resources.get(name)  # type: ignore[call-overload]
    cpu, memory = (size.cpu, size.memory) if size else DEFAULT_RESOURCES[name]
    return cpu_cores(cpu), memory_gib(memory)


def running_pods(env: Environment) -> list[tuple[str, int, float, float]]:
    """(component, replicas, CPU cores, GiB) of every always-running pod."""
    names = ["api-server", "scheduler", "dag-processor", "triggerer"]
    if env.airflow.executor == "celery":
        names.append("worker")
    pods = [(name, env.eks.replicas_of(name), *_request(env, name)) for name in names]
    pods.append(("statsd", 1, *_request(env, "statsd")))
    if env.eks.pgbouncer:
        pods.append(("pgbouncer", 1, *_request(env, "pgbouncer")))
    return pods


def eks_shape(env: Environment) -> AirflowShape:
    """The EKS environment as MWAA's classes measure it: its scheduler pods, and its Celery worker
    pods or, with the KubernetesExecutor, each task's pod."""
    scheduler, _ = _request(env, "scheduler")
    worker = None
    groups: tuple[WorkerGroup, ...] = ()
    if env.airflow.executor == "celery":
        worker, _ = _request(env, "worker")
        replicas = env.eks.replicas_of("worker")
        groups = (WorkerGroup(replicas, replicas, worker),)
    elif env.airflow.executor == "kubernetes":
        worker, _ = _request(env, "task")
    return AirflowShape(scheduler, worker, env.eks.replicas_of("scheduler"),
                        env.eks.replicas_of("api-server"), worker_groups=groups)


def eks_compute_lines(env: Environment, prices: RegionPrices, task_hours: float) -> list[ComputeLine]:
    hours = prices.hours_per_month
    lines = []
    if env.eks.cluster is None:
        control = prices.get("eks", "cluster_hour") * hours
        # the cluster bills by the hour whether or not anything runs on it: parked too
        lines.append(ComputeLine("EKS control plane", f"Kubernetes {env.eks.kubernetes_version}, "
                                 "standard support; billed parked too", control, control, control))
    else:
        lines.append(ComputeLine("EKS cluster (existing)", f"{env.eks.cluster}'s control plane and "
                                 "nodes are billed to that cluster, not estimated here", 0.0, 0.0))
        return lines + _load_balancer(env, prices)
    pods = running_pods(env)
    cpu = sum(count * cores for _, count, cores, _ in pods)
    memory = sum(count * gib for _, count, _, gib in pods)
    if env.eks.compute == "auto":
        shape, vcpu, gib = AUTO_MODE_SHAPE
        nodes = max(1, math.ceil(max(cpu / (vcpu * USABLE_CPU), memory / (gib * USABLE_MEMORY))))
        hourly = prices.get("ec2", "instance_hour", shape)
        fee = prices.get("eks", "auto_mode_fee_ratio") * hourly
        task_cpu, task_gib = _request(env, "task")
        share = max(task_cpu / vcpu, task_gib / gib)  # of a node, per task pod
        # the task pods' share of a node, for the assumed task hours (KubernetesExecutor only)
        task_node_hours = task_hours * share if env.airflow.executor == "kubernetes" else 0.0
        node_cost = (nodes * hours + task_node_hours) * hourly
        fee_cost = (nodes * hours + task_node_hours) * fee
        lines.append(ComputeLine(
            "nodes (EKS Auto Mode)",
            f"{nodes} × {shape}-equivalent for {cpu:g} vCPU / {memory:.1f} GiB of requests"
            + (f", plus {task_hours:g} task-pod hours (assumed)" if task_node_hours else ""),
            node_cost, node_cost))
        lines.append(ComputeLine("EKS Auto Mode management fee",
                                 f"{prices.get('eks', 'auto_mode_fee_ratio'):.0%} of each instance's "
                                 "on-demand price", fee_cost, fee_cost))
    else:
        group = env.eks.nodegroup
        shape = group.instance_types[0]
        hourly = prices.get("ec2", "instance_hour", shape)
        disk = group.disk_gb * prices.get("ec2", "ebs_gp3_gb_month")
        count = max(group.min, 1)
        lines.append(ComputeLine(
            "nodes (managed node group)", f"{count} × {shape} ({group.min}..{group.max}), "
            f"{group.disk_gb} GB gp3 each; pods request {cpu:g} vCPU / {memory:.1f} GiB; the "
            "group's minimum keeps running parked",
            count * (hourly * hours + disk), group.max * (hourly * hours + disk),
            group.min * (hourly * hours + disk)))
    return lines + _load_balancer(env, prices)


def _load_balancer(env: Environment, prices: RegionPrices) -> list[ComputeLine]:
    if env.access.mode != "alb":
        return []
    hours = prices.hours_per_month
    standing = (prices.get("alb", "hour") + 2 * prices.get("public_ipv4_hour")) * hours
    cost = standing + prices.get("alb", "lcu_hour") * hours
    # the Ingress and its load balancer stay while the pods are parked
    return [ComputeLine("load balancer (ALB, from the Ingress)", "1 ALB, 2 public IPv4, 1 LCU "
                        "(assumed)", cost, cost, standing)]
