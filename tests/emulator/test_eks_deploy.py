"""An EKS environment on the emulator and the Kubernetes API double, through the target seam.

The stacks go to moto (its CloudFormation's EKS gap filled by ``moto_eks``: the cluster exists in
moto's EKS API, its endpoint is the double's); the namespace, secrets, migration Job and Helm
release go to the double, Helm being the real one (helm-python-sdk) with the official chart's
offline copy. What this proves and what it cannot is in the README's EKS section.
"""

from __future__ import annotations

import base64
import json
import time

import boto3
import pytest

from airhost.aws.errors import NotDeployed
from airhost.errors import ComponentFailing
from airhost.ops.bootstrap import BootstrapFailed
from airhost.ops.release import read_release
from airhost.progress import Progress
from tests.emulator import moto_eks
from tests.emulator.conftest import Deployed

pytestmark = pytest.mark.emulator

KUBE = """\
project: kube
region: eu-west-1
airflow: {version: "3.2.0", python: "3.12"}
environments:
  auto:
    target: eks
  celery:
    target: eks
    airflow: {executor: celery}
    eks: {image: ecr, replicas: {worker: 2}, pgbouncer: false}
"""


class Kube(Deployed):
    def aws(self, name: str = "auto"):
        from airhost.targets.eks import EksDeployment

        return EksDeployment(self.project().environment(name))


@pytest.fixture
def kube(emulator, kubernetes, write_project, monkeypatch, chart) -> Kube:
    monkeypatch.setenv("AIRHOST_HELM_CHART", str(chart))
    kubernetes.script("db migrate", lines=["Performing upgrade to the metadata database",
                                           "Database migrating done!"])
    return Kube(write_project(KUBE))


class Recording(Progress):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []
        self.steps: list[str] = []

    def log_line(self, line: str) -> None:
        self.lines.append(line)

    def step(self, message: str) -> None:
        self.steps.append(message)


def secret(kubernetes, name: str, key: str) -> str:
    data = kubernetes.stored("secrets", "airflow")[name]["data"]
    return base64.b64decode(data[key]).decode()


def test_first_deploy_migrates_in_a_job_before_the_chart_is_installed(kube, kubernetes):
    progress = Recording()
    summary = kube.deploy("auto", progress)
    # the migration ran as a Job, its log streamed, before any component existed
    jobs = [path for verb, path in kubernetes.requests if verb == "POST" and path.endswith("/jobs")]
    first_workload = next(i for i, (verb, path) in enumerate(kubernetes.requests)
                          if verb == "PATCH" and "/deployments/" in path)
    first_job = next(i for i, (verb, path) in enumerate(kubernetes.requests)
                     if verb == "POST" and path.endswith("/jobs"))
    assert jobs and first_job < first_workload
    assert "Database migrating done!" in progress.lines
    assert summary["bootstrap"]["migrate"]["exit_code"] == 0
    # the chart's components, rolled out
    states = {c["component"]: (c["state"], c["desired"], c["running"])
              for c in summary["components"]}
    assert states["scheduler"] == ("RUNNING", 1, 1)
    assert states["api-server"] == ("RUNNING", 1, 1)
    assert {"dag-processor", "triggerer"} <= set(states)
    # Helm's own release record in the namespace, and airhost's in SSM
    assert "sh.helm.release.v1.airflow.v1" in kubernetes.stored("secrets", "airflow")
    release = read_release(kube.aws("auto"))
    assert release.bootstrapped and release.target == "eks" and release.facts["helm_revision"] == 1


def test_plan_then_the_kubernetes_secrets_are_the_secrets_manager_values(kube, kubernetes,
                                                                           run_cli):
    before = run_cli("plan", "auto", "--config", str(kube.root), "--output", "json")
    assert before.exit_code == 0, before.stderr
    assert [p["action"] for p in json.loads(before.stdout)] == ["create"] * 3
    assert not kubernetes.requests  # a plan changes nothing, in AWS or in the cluster
    kube.deploy("auto")
    deployment = kube.aws("auto")
    data = deployment.outputs("data")
    fernet = deployment.secrets.get_json(data["FernetKeySecretArn"])["value"]
    assert secret(kubernetes, "airhost-fernet-key", "fernet-key") == fernet
    direct = deployment.secrets.get_json(data["DatabaseUrlSecretArn"])["value"]
    assert secret(kubernetes, "airhost-database-direct", "connection") == direct
    # PgBouncer (on by default) fronts RDS for the components
    assert "@airflow-pgbouncer.airflow:6543/airflow-metadata" in secret(
        kubernetes, "airhost-database", "connection")
    ini = secret(kubernetes, "airhost-pgbouncer", "pgbouncer.ini")
    assert f"host={data['DatabaseEndpoint']}" in ini and "server_tls_sslmode = require" in ini
    admin = deployment.secrets.get_json(data["AdminPasswordSecretArn"])
    assert secret(kubernetes, "airhost-admin", "password") == admin["password"]


def test_the_cluster_answers_describe_cluster_and_the_deployer_is_cluster_admin(kube, kubernetes):
    kube.deploy("auto")
    cluster = boto3.client("eks").describe_cluster(name="kube-auto")["cluster"]
    assert cluster["endpoint"] == kubernetes.url
    assert base64.b64decode(cluster["certificateAuthority"]["data"]) == kubernetes.ca_pem
    me = boto3.client("sts").get_caller_identity()["Arn"]
    assert {"cluster": "kube-auto", "principal": me, "type": "STANDARD"} in moto_eks.ACCESS_ENTRIES


def test_a_failing_migration_names_its_step_and_installs_nothing(kube, kubernetes):
    kubernetes.script("db migrate", exit_code=1, lines=["alembic: relation already exists"])
    progress = Recording()
    with pytest.raises(BootstrapFailed) as failed:
        kube.deploy("auto", progress)
    assert failed.value.step == "migrate" and "exit code 1" in failed.value.message
    assert "alembic: relation already exists" in progress.lines
    assert not kubernetes.stored("deployments", "airflow")  # no component started
    assert "sh.helm.release.v1.airflow.v1" not in kubernetes.stored("secrets", "airflow")
    job = next(iter(kubernetes.stored("jobs", "airflow").values()))
    assert job["spec"]["backoffLimit"] == 0  # a failed migration is read, never retried
    # the fix, then the same command again: it resumes and converges
    kubernetes.script("db migrate", lines=["Database migrating done!"])
    summary = kube.deploy("auto")
    assert summary["bootstrap"]["migrate"]["exit_code"] == 0
    assert {c["component"] for c in summary["components"]} >= {"scheduler", "api-server"}


def test_a_rollout_that_never_becomes_ready_is_rolled_back_by_helm(kube, kubernetes):
    from airhost.tools.helm import HelmReleaseFailed

    kube.deploy("auto")
    kube.edit("  auto:\n    target: eks\n",
              "  auto:\n    target: eks\n    eks: {replicas: {scheduler: 2}, rollout_timeout: 5}\n")
    kubernetes.hold_rollout("airflow-scheduler")
    with pytest.raises(HelmReleaseFailed) as failed:
        kube.deploy("auto")
    assert "rolled back" in failed.value.message
    scheduler = kubernetes.stored("deployments", "airflow")["airflow-scheduler"]
    assert scheduler["spec"]["replicas"] == 1  # what ran before, back in place
    assert "sh.helm.release.v1.airflow.v3" in kubernetes.stored("secrets", "airflow")  # the rollback


def test_a_component_that_exits_at_every_start_ends_helms_wait_at_once(kube, kubernetes):
    from airhost.tools.helm import HelmReleaseFailed

    kube.deploy("auto")
    kube.edit("  auto:\n    target: eks\n",
              "  auto:\n    target: eks\n    eks: {replicas: {scheduler: 2}, rollout_timeout: 600}\n")
    kubernetes.crash_rollout("airflow-scheduler", [
        "Traceback (most recent call last):",
        "airflow.exceptions.AirflowConfigException: error: cannot use SQLite with the LocalExecutor"])
    started = time.monotonic()
    with pytest.raises(HelmReleaseFailed) as failed:
        kube.deploy("auto")
    # not Helm's 600 s wait: stopped once the pod had restarted twice
    assert time.monotonic() - started < 300
    message = failed.value.message
    assert "scheduler exits at start" in message and "rolled back" in message
    assert "exit code 1" in message and "AirflowConfigException" in message
    scheduler = kubernetes.stored("deployments", "airflow")["airflow-scheduler"]
    assert scheduler["spec"]["replicas"] == 1  # what ran before, back in place
    releases = [name for name in kubernetes.stored("secrets", "airflow")
                if name.startswith("sh.helm.release.v1.airflow.")]
    assert "sh.helm.release.v1.airflow.v3" in releases  # the rollback, a revision of its own


def test_status_shows_a_crash_looping_component_and_its_restarts(kube, kubernetes):
    kube.deploy("auto")
    kubernetes.crash_rollout("airflow-triggerer", ["ModuleNotFoundError: No module named 'x'"])
    aws = kube.aws("auto")
    aws.scale({"triggerer": 2}, Recording(), wait=False)
    states = {c.component: c for c in aws.components()}
    assert states["triggerer"].state == "CRASH_LOOP" and states["triggerer"].restarts == 3
    assert states["scheduler"].state == "RUNNING" and states["scheduler"].restarts == 0
    with pytest.raises(ComponentFailing) as failing:
        aws.wait_stable(Recording(), ["triggerer"])
    assert "triggerer exits at start" in failing.value.message
    assert "No module named 'x'" in failing.value.message


def test_an_environment_that_is_not_deployed_says_so(kube):
    with pytest.raises(NotDeployed):
        kube.aws("auto").components()
