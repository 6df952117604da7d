"""The EKS target: the official Airflow Helm chart on EKS Auto Mode or a managed node group.

It renders the network, data and compute stacks, the chart's values and, with a local chart
named by ``AIRHOST_HELM_CHART``, every manifest Helm renders from them; it deploys them (the
stacks through the generic pipeline, then the namespace, secrets, migration and Helm release
through ``EksDeployment``, then the office hours' CronJobs) and operates the deployed
environment: run, status, logs, scale, park, DAG bundle, backup and restore (the restore copies
the new database's secrets into the cluster before anything starts again), in-place Airflow
upgrades (migration Job of the new image, then ``helm upgrade``; ``helm rollback`` on failure),
destroy. ``image`` is not built for EKS yet; it says so through the seam's one error.
"""

from __future__ import annotations

from typing import Any

import yaml

from airhost.config.loader import Project
from airhost.cost import Assumptions, Estimate, RegionPrices, estimate
from airhost.cost.eks import eks_compute_lines, eks_shape
from airhost.config.models import Environment
from airhost.render.eks import LAYERS, render_stacks
from airhost.render.eks.access import ingress_class
from airhost.render.eks.names import RELEASE
from airhost.render.eks.schedule import render_schedule
from airhost.render.eks.values import placeholder_facts, render_values
from airhost.targets.base import Target
from airhost.targets.eks.deployment import EksDeployment
from airhost.tools.helm import local_chart, render_chart

__all__ = ["EKS", "EksDeployment", "eks_artifacts", "eks_manifests"]

# Kinds that live outside any namespace.
CLUSTER_SCOPED = {"ClusterRole", "ClusterRoleBinding", "IngressClass", "PriorityClass", "Namespace"}


def _open(project: Project | None, env: Environment) -> EksDeployment:
    return EksDeployment(env)


def _summary(env: Environment) -> str:
    compute = "Auto Mode" if env.eks.compute == "auto" else "node group"
    where = f"cluster {env.eks.cluster}" if env.eks.cluster else compute
    return (f"EKS {where}, {env.airflow.executor} executor, chart {env.eks.chart_version}, "
            f"access {env.access.mode}, {env.region}")


def _estimate(env: Environment, prices: RegionPrices,
              assumptions: Assumptions | None = None) -> Estimate:
    """The month's estimate, counted in the EKS stacks, with the cluster's own compute lines."""
    return estimate(env, prices, assumptions, compute_lines=eks_compute_lines,
                    stacks=render_stacks(env, "cost-estimate"), shape=eks_shape(env))


def eks_manifests(env: Environment, values: dict[str, Any]) -> list[dict[str, Any]]:
    """The chart's objects for ``values`` (the local chart's), plus airhost's own beside it: the
    IngressClass of ``access.mode alb`` and the schedule's CronJobs and their RBAC."""
    chart = local_chart()
    objects = []
    if chart is not None:
        objects = render_chart(chart, values, release=RELEASE, namespace=env.eks.namespace,
                               version=env.eks.chart_version)
    for obj in objects:
        # What `helm install --namespace` does to objects whose template names no namespace.
        if obj.get("kind") not in CLUSTER_SCOPED:
            obj.setdefault("metadata", {}).setdefault("namespace", env.eks.namespace)
    extra = ingress_class(env)
    return objects + ([extra] if extra else []) + render_schedule(env, values)


def eks_artifacts(env: Environment) -> dict[str, str]:
    """File name → content beside the templates: the values and ``manifests.yaml`` (the chart's
    objects with a local chart, and airhost's own: the IngressClass, the office hours)."""
    values = render_values(env, placeholder_facts(env))
    files = {"values.yaml": yaml.safe_dump(values, sort_keys=True)}
    if local_chart() is not None or ingress_class(env) or env.schedule is not None:
        files["manifests.yaml"] = yaml.safe_dump_all(eks_manifests(env, values), sort_keys=True)
    return files


EKS = Target(
    name="eks",
    title="EKS",
    capabilities=frozenset({"render", "plan", "deploy", "destroy", "status", "logs", "run",
                            "scale", "dags", "diagram", "cost", "kubeconfig", "backup",
                            "upgrade"}),
    open=_open,
    layers=LAYERS,
    render=render_stacks,
    artifacts=eks_artifacts,
    estimate=_estimate,
    summary=_summary,
    instead={"image": "'airhost image' for EKS is not built yet: push to the environment's ECR "
                      "repository yourself and deploy with --image",
             "shell": "a shell in a pod is not built in: 'airhost run ENV -- bash -c ...' runs a "
                      "one-off command; 'airhost kubeconfig ENV' lets kubectl exec into a pod",
             "up": "'airhost up' runs a local environment; deploy this one with 'airhost deploy ENV'"},
)
