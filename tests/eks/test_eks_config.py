"""The eks section: defaults a user relies on, and errors that say the fix."""

from __future__ import annotations

import pytest

from airhost.config.models import Environment

BASE = {"name": "k", "project": "shop", "target": "eks", "region": "eu-west-1"}


def env(**sections) -> Environment:
    return Environment.model_validate({**BASE, **sections})


def test_eks_runs_the_kubernetes_executor_unless_told_otherwise():
    assert env().airflow.executor == "kubernetes"
    assert env(airflow={"version": "3.2.0"}).airflow.executor == "kubernetes"
    assert env(airflow={"executor": "local"}).airflow.executor == "local"
    ecs = Environment.model_validate({**BASE, "target": "ecs"})
    assert ecs.airflow.executor == "local"


def test_defaults_are_auto_mode_private_and_the_pinned_chart():
    eks = env().eks
    assert (eks.compute, eks.cluster, eks.chart_version, eks.namespace) == ("auto", None, "1.21.0", "airflow")
    assert eks.public_endpoint_cidrs == []


def test_ha_gives_two_schedulers_and_two_api_servers():
    eks = env(eks={"ha": True}).eks
    assert [eks.replicas_of(c) for c in ("scheduler", "api-server", "triggerer")] == [2, 2, 1]
    assert env(eks={"ha": True, "replicas": {"scheduler": 3}}).eks.replicas_of("scheduler") == 3


@pytest.mark.parametrize("sections, fix", [
    ({"eks": {"public_endpoint_cidrs": ["0.0.0.0/0"]}}, "list the networks"),
    ({"eks": {"cluster": "platform"}}, "network.vpc_id"),
    ({"eks": {"kubernetes_version": "1.20"}}, "use one of"),
    ({"eks": {"nodegroup": {"instance_types": ["m7i.large"]}}}, "architecture"),
    ({"eks": {"compute": "nodegroup"}, "access": {
        "mode": "alb", "allowed_cidrs": ["203.0.113.0/24"],
        "certificate_arn": "arn:aws:acm:eu-west-1:123456789012:certificate/abc"}}, "eks.compute: auto"),
    ({"airflow": {"executor": "celery"}}, "eks.image: ecr"),
    ({"eks": {"replicas": {"worker": 2}}}, "KubernetesExecutor"),
    ({"eks": {"resources": {"task": {"cpu": "lots"}}}}, "Kubernetes quantity"),
])
def test_errors_say_the_fix(sections, fix):
    with pytest.raises(ValueError) as error:
        env(**sections)
    assert fix in str(error.value)


def test_an_eks_environment_takes_office_hours_with_the_schedules_own_checks():
    office = env(schedule={"awake": ["Mon-Fri 07:00-20:00"], "timezone": "Europe/Berlin"}).schedule
    assert office is not None and office.awake_hours_per_week() == 65
    with pytest.raises(ValueError, match="Europe/Berlim' is not a time zone: use an IANA name"):
        env(schedule={"awake": ["Mon-Fri 07:00-20:00"], "timezone": "Europe/Berlim"})
    with pytest.raises(ValueError, match="ends before it starts: .*split a night into two windows"):
        env(schedule={"awake": ["Mon 22:00-06:00"]})
