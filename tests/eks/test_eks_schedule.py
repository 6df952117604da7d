"""Office hours on EKS: CronJobs in the release's namespace, in the schedule's zone, that scale
exactly the workloads the official chart creates, with a Role that allows nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from airhost.config.loader import validate_project
from airhost.render.eks.schedule import SCALE_SCRIPT, render_schedule
from airhost.render.eks.values import placeholder_facts, render_values
from airhost.targets.eks import eks_artifacts, eks_manifests

WEEKDAYS = "1,2,3,4,5"  # Unix cron: Sunday is 0


def environment(**settings):
    data = {"project": "shop", "region": "eu-west-1",
            "environments": {"kube": {"target": "eks", **settings}}}
    return validate_project(data, {}, root=Path("/p"), source="test").environment("kube")


def schedule_of(env):
    return render_schedule(env, render_values(env, placeholder_facts(env)))


def cron_jobs(objects):
    return {obj["metadata"]["name"]: obj for obj in objects if obj["kind"] == "CronJob"}


def container(job):
    return job["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]


def test_the_office_example_wakes_at_seven_and_sleeps_at_eight_berlin_time(manifests):
    jobs = cron_jobs(manifests["office"])
    assert {name: (job["spec"]["schedule"], job["spec"]["timeZone"]) for name, job in jobs.items()} == {
        "airhost-wake-1": (f"0 7 * * {WEEKDAYS}", "Europe/Berlin"),
        "airhost-sleep-1": (f"0 20 * * {WEEKDAYS}", "Europe/Berlin")}
    wake, sleep = jobs["airhost-wake-1"], jobs["airhost-sleep-1"]
    assert wake["metadata"]["namespace"] == "airflow"
    # a missed wake may still run until that evening's sleep, a missed sleep until the next wake
    assert wake["spec"]["startingDeadlineSeconds"] == 13 * 3600
    assert sleep["spec"]["startingDeadlineSeconds"] == 11 * 3600
    assert wake["spec"]["concurrencyPolicy"] == "Forbid"
    assert container(wake)["args"] == [
        "deployments/airflow-pgbouncer=1", "deployments/airflow-statsd=1",
        "deployments/airflow-api-server=1", "deployments/airflow-dag-processor=1",
        "statefulsets/airflow-triggerer=1", "deployments/airflow-scheduler=1"]
    # asleep, everything is at 0, the scheduler first
    assert container(sleep)["args"][0] == "deployments/airflow-scheduler=0"
    assert all(arg.endswith("=0") for arg in container(sleep)["args"])
    assert not cron_jobs(manifests["auto"])  # no schedule, no CronJob


def test_a_night_shift_and_a_saturday_morning_each_get_their_own_edges():
    env = environment(schedule={"awake": ["Mon-Thu 22:00-24:00", "Tue-Fri 00:00-06:00",
                                          "Sat 09:00-13:00", "Fri 18:00-24:00"],
                                "timezone": "America/New_York"})
    jobs = cron_jobs(schedule_of(env))
    edges = {(job["spec"]["schedule"], name.split("-")[1]) for name, job in jobs.items()}
    assert edges == {("0 22 * * 1,2,3,4", "wake"), ("0 6 * * 2,3,4,5", "sleep"),
                     ("0 18 * * 5", "wake"), ("0 0 * * 6", "sleep"),  # Friday till midnight
                     ("0 9 * * 6", "wake"), ("0 13 * * 6", "sleep")}
    assert {job["spec"]["timeZone"] for job in jobs.values()} == {"America/New_York"}
    # the night's 06:00 sleep may run late until Friday 18:00's wake at most
    six = next(job for job in jobs.values() if job["spec"]["schedule"] == "0 6 * * 2,3,4,5")
    assert six["spec"]["startingDeadlineSeconds"] == 12 * 3600


def test_the_job_runs_the_release_image_locked_down_as_its_own_service_account(manifests, values):
    job = cron_jobs(manifests["office"])["airhost-wake-1"]
    pod = job["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    image = values["office"]["images"]["airflow"]
    scale = container(job)
    assert scale["image"] == f"{image['repository']}:{image['tag']}"
    assert scale["imagePullPolicy"] == image["pullPolicy"]
    assert scale["command"] == ["python3", "-c", SCALE_SCRIPT]
    assert pod["serviceAccountName"] == "airhost-schedule" and pod["automountServiceAccountToken"]
    assert pod["securityContext"]["runAsUser"] == 50000 and pod["securityContext"]["runAsNonRoot"]
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert scale["securityContext"] == {"allowPrivilegeEscalation": False,
                                        "readOnlyRootFilesystem": True, "runAsNonRoot": True,
                                        "capabilities": {"drop": ["ALL"]}}
    assert set(scale["resources"]) == {"requests", "limits"}
    assert job["spec"]["jobTemplate"]["spec"]["backoffLimit"] == 3
    # the script needs only Python's standard library
    imports = SCALE_SCRIPT.splitlines()[0]
    assert imports == "import json, os, ssl, sys, urllib.error, urllib.request"


def _workloads_helm_renders(objects):
    return {(obj["kind"], obj["metadata"]["name"]): obj["spec"].get("replicas", 1)
            for obj in objects if obj["kind"] in ("Deployment", "StatefulSet")
            and obj["metadata"].get("labels", {}).get("release") == "airflow"}


def _role_and_wake(objects):
    role = next(obj for obj in objects if obj["kind"] == "Role"
                and obj["metadata"]["name"] == "airhost-schedule")
    allowed = {("Deployment" if rule["resources"] == ["deployments/scale"] else "StatefulSet", name)
               for rule in role["rules"] for name in rule["resourceNames"]}
    wake = cron_jobs(objects)["airhost-wake-1"]
    woken = {}
    for argument in container(wake)["args"]:
        path, replicas = argument.rsplit("=", 1)
        resource, name = path.split("/")
        woken[("Deployment" if resource == "deployments" else "StatefulSet", name)] = int(replicas)
    return role, allowed, woken


@pytest.mark.parametrize("settings", [
    {},  # KubernetesExecutor, PgBouncer: no worker to wake
    {"airflow": {"executor": "celery"}, "eks": {"image": "ecr", "ha": True, "replicas": {"worker": 3}}},
    {"airflow": {"executor": "local"}, "eks": {"pgbouncer": False}},  # the scheduler runs tasks
], ids=["kubernetes", "celery", "local"])
def test_the_role_names_exactly_the_workloads_real_helm_renders(settings, chart, monkeypatch):
    monkeypatch.setenv("AIRHOST_HELM_CHART", str(chart))
    env = environment(schedule={"awake": ["Mon-Fri 07:00-20:00"]}, **settings)
    objects = eks_manifests(env, render_values(env, placeholder_facts(env)))
    rendered = _workloads_helm_renders(objects)
    role, allowed, woken = _role_and_wake(objects)
    assert allowed == set(rendered)
    assert woken == rendered  # each woken to the replicas the chart runs it at
    for rule in role["rules"]:
        assert rule["verbs"] == ["get", "patch"] and rule["apiGroups"] == ["apps"]
        assert rule["resources"][0].endswith("/scale") and rule["resourceNames"]
    binding = next(obj for obj in objects if obj["kind"] == "RoleBinding"
                   and obj["metadata"]["name"] == "airhost-schedule")
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "airhost-schedule",
                                    "namespace": "airflow"}]
    assert binding["roleRef"]["name"] == role["metadata"]["name"]


def test_the_nat_instance_wakes_ten_minutes_before_the_wake_job(stacks, manifests):
    network = next(s for s in stacks["office"] if s.layer == "network").template["Resources"]
    nat = {r["Properties"]["DesiredCapacity"]: r["Properties"]["Recurrence"]
           for r in network.values() if r["Type"] == "AWS::AutoScaling::ScheduledAction"}
    jobs = cron_jobs(manifests["office"])
    assert nat[1] == f"50 6 * * {WEEKDAYS}" and jobs["airhost-wake-1"]["spec"]["schedule"] == \
        f"0 7 * * {WEEKDAYS}"
    assert nat[0] == f"10 20 * * {WEEKDAYS}" and jobs["airhost-sleep-1"]["spec"]["schedule"] == \
        f"0 20 * * {WEEKDAYS}"


def test_render_writes_the_schedule_into_manifests_yaml_even_without_a_chart(environments,
                                                                            monkeypatch):
    monkeypatch.delenv("AIRHOST_HELM_CHART", raising=False)
    files = eks_artifacts(environments["office"][0])
    kinds = [(obj["kind"], obj["metadata"]["name"]) for obj in yaml.safe_load_all(files["manifests.yaml"])]
    assert kinds == [("ServiceAccount", "airhost-schedule"), ("Role", "airhost-schedule"),
                     ("RoleBinding", "airhost-schedule"), ("CronJob", "airhost-wake-1"),
                     ("CronJob", "airhost-sleep-1")]
    assert "manifests.yaml" not in eks_artifacts(environments["auto"][0])
