"""Office hours on EKS, deployed (emulator + Kubernetes API double, real Helm) and their script run.

The double never fires a CronJob (it runs no controller and no container). What the controller
would start, the test starts: the CronJob's own command, as stored in the double, in a process
that sees the in-cluster service account files where a pod sees them (a mount namespace with a
folder bound over /var/run/secrets/kubernetes.io/serviceaccount) and the API server's address in
``KUBERNETES_SERVICE_HOST``/``_PORT``, as the kubelet sets them.
"""

from __future__ import annotations

import json
import os
import subprocess
import urllib.parse

import pytest

from tests.emulator.test_eks_deploy import Kube

pytestmark = pytest.mark.emulator

ACCOUNT = "/var/run/secrets/kubernetes.io/serviceaccount"
OFFICE = """\
project: kube
region: eu-west-1
airflow: {version: "3.2.0", python: "3.12"}
environments:
  office:
    target: eks
    schedule:
      awake: ["Mon-Fri 07:00-20:00", "Sat 10:00-14:00"]
      timezone: Europe/Berlin
"""
SCHEDULE_OBJECTS = (("cronjobs", None), ("serviceaccounts", "airhost-schedule"),
                    ("roles", "airhost-schedule"), ("rolebindings", "airhost-schedule"))


@pytest.fixture
def office(emulator, kubernetes, write_project, monkeypatch, chart) -> Kube:
    monkeypatch.setenv("AIRHOST_HELM_CHART", str(chart))
    kubernetes.script("db migrate", lines=["Database migrating done!"])
    return Kube(write_project(OFFICE))


def _mount_namespaces() -> bool:
    try:
        return subprocess.run(["unshare", "--mount", "true"], capture_output=True, check=False,
                              timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def run_as_pod(job: dict, api_url: str, account: os.PathLike) -> subprocess.CompletedProcess:
    """The CronJob's container command, run as its pod would run it."""
    container = job["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    address = urllib.parse.urlsplit(api_url)
    environment = {**os.environ, "KUBERNETES_SERVICE_HOST": address.hostname,
                   "KUBERNETES_SERVICE_PORT": str(address.port)}
    # /var/run gets a private tmpfs in this process's own mount namespace; the host's is untouched
    mount = (f'mount -t tmpfs tmpfs /var/run && mkdir -p {ACCOUNT} && '
             f'mount --bind "$0" {ACCOUNT} && exec "$@"')
    return subprocess.run(["unshare", "--mount", "sh", "-c", mount, str(account),
                           *container["command"], *container["args"]],
                          env=environment, capture_output=True, text=True, timeout=120, check=False)


def service_account(folder, token: str, ca_pem: bytes, namespace: str = "airflow"):
    folder.mkdir(exist_ok=True)
    (folder / "token").write_text(token)
    (folder / "ca.crt").write_bytes(ca_pem)
    (folder / "namespace").write_text(namespace)
    return folder


def replicas(kubernetes) -> dict[str, int]:
    return {name: obj["spec"]["replicas"] for plural in ("deployments", "statefulsets")
            for name, obj in kubernetes.stored(plural, "airflow").items()}


def test_deploy_applies_the_schedule_and_a_redeploy_prunes_what_is_no_longer_in_it(office,
                                                                                 kubernetes):
    office.deploy("office")
    jobs = kubernetes.stored("cronjobs", "airflow")
    assert {name: (job["spec"]["schedule"], job["spec"]["timeZone"]) for name, job in jobs.items()} == {
        "airhost-wake-1": ("0 7 * * 1,2,3,4,5", "Europe/Berlin"),
        "airhost-wake-2": ("0 10 * * 6", "Europe/Berlin"),
        "airhost-sleep-1": ("0 14 * * 6", "Europe/Berlin"),
        "airhost-sleep-2": ("0 20 * * 1,2,3,4,5", "Europe/Berlin")}
    assert "airhost-schedule" in kubernetes.stored("serviceaccounts", "airflow")
    binding = kubernetes.stored("rolebindings", "airflow")["airhost-schedule"]
    assert binding["subjects"][0]["name"] == "airhost-schedule"
    # the Role names exactly the workloads Helm installed, each by its kind
    role = kubernetes.stored("roles", "airflow")["airhost-schedule"]
    allowed = {(rule["resources"][0], name) for rule in role["rules"] for name in rule["resourceNames"]}
    installed = {(f"{plural}/scale", name) for plural in ("deployments", "statefulsets")
                 for name in kubernetes.stored(plural, "airflow")}
    assert allowed == installed

    kubernetes.requests.clear()
    office.deploy("office")  # again: the same objects, nothing deleted
    assert set(kubernetes.stored("cronjobs", "airflow")) == set(jobs)
    assert not [path for verb, path in kubernetes.requests if verb == "DELETE"]

    office.edit('"Mon-Fri 07:00-20:00", "Sat 10:00-14:00"', '"Mon-Fri 07:00-20:00"')
    office.deploy("office")
    jobs = kubernetes.stored("cronjobs", "airflow")
    assert {name: job["spec"]["schedule"] for name, job in jobs.items()} == {
        "airhost-wake-1": "0 7 * * 1,2,3,4,5", "airhost-sleep-1": "0 20 * * 1,2,3,4,5"}

    office.edit("    schedule:\n      awake: [\"Mon-Fri 07:00-20:00\"]\n"
                "      timezone: Europe/Berlin\n", "")
    assert "schedule" not in (office.root / "airhost.yaml").read_text()
    office.deploy("office")
    for plural, name in SCHEDULE_OBJECTS:
        left = kubernetes.stored(plural, "airflow")
        assert not (left if name is None else name in left), plural
    assert replicas(kubernetes)["airflow-scheduler"] == 1  # the release itself is untouched


@pytest.mark.skipif(not _mount_namespaces(), reason="running a pod's view of its service account "
                    "needs a mount namespace (root, or unprivileged user namespaces)")
def test_the_sleep_job_parks_the_release_and_the_wake_job_brings_it_back(office, kubernetes,
                                                                         run_cli, tmp_path):
    office.deploy("office")
    deployment = office.aws("office")
    account = service_account(tmp_path / "account", deployment.kubernetes.token().value,
                              kubernetes.ca_pem)
    jobs = kubernetes.stored("cronjobs", "airflow")
    running = replicas(kubernetes)
    assert running and all(count >= 1 for count in running.values())

    slept = run_as_pod(jobs["airhost-sleep-2"], kubernetes.url, account)
    assert slept.returncode == 0, slept.stderr
    assert "deployments/airflow-scheduler in airflow: replicas 0" in slept.stdout
    assert set(replicas(kubernetes).values()) == {0}
    assert deployment.kubernetes.ready_nodes() == 0  # Auto Mode keeps no node for nothing
    status = json.loads(run_cli("status", "office", "--config", str(office.root), "-o", "json").stdout)
    assert not status["running"] and not status["parked"]  # asleep by the schedule, not parked
    assert status["schedule"]["timezone"] == "Europe/Berlin" and status["schedule"]["next"]
    assert {job["name"]: job["schedule"] for job in status["kubernetes"]["schedule"]}[
        "airhost-sleep-2"] == "0 20 * * 1,2,3,4,5"

    woken = run_as_pod(jobs["airhost-wake-1"], kubernetes.url, account)
    assert woken.returncode == 0, woken.stderr
    assert "statefulsets/airflow-triggerer in airflow: replicas 1" in woken.stdout
    assert replicas(kubernetes) == running

    # by hand around it: asleep early until the next wake, which the wake job then does
    assert run_cli("scale", "office", "--to-zero", "--config", str(office.root)).exit_code == 0
    assert run_as_pod(jobs["airhost-wake-1"], kubernetes.url, account).returncode == 0
    assert replicas(kubernetes) == running
    # a scheduled sleep leaves no parking record: --resume wakes the configured counts
    assert run_as_pod(jobs["airhost-sleep-1"], kubernetes.url, account).returncode == 0
    resumed = run_cli("scale", "office", "--resume", "--config", str(office.root))
    assert resumed.exit_code == 0, resumed.stderr
    assert replicas(kubernetes) == running


@pytest.mark.skipif(not _mount_namespaces(), reason="needs a mount namespace (see above)")
def test_the_script_fails_when_the_api_refuses_it_and_skips_a_missing_workload(office, kubernetes,
                                                                              tmp_path):
    office.deploy("office")
    jobs = kubernetes.stored("cronjobs", "airflow")
    refused = run_as_pod(jobs["airhost-sleep-2"], kubernetes.url,
                         service_account(tmp_path / "bad", "not-a-token", kubernetes.ca_pem))
    assert refused.returncode == 1
    assert "the API answered 401" in refused.stderr
    assert replicas(kubernetes)["airflow-scheduler"] == 1  # nothing changed

    kubernetes.objects.pop(("apps/v1", "deployments", "airflow", "airflow-statsd"))
    token = office.aws("office").kubernetes.token().value
    slept = run_as_pod(jobs["airhost-sleep-2"], kubernetes.url,
                       service_account(tmp_path / "good", token, kubernetes.ca_pem))
    assert slept.returncode == 0, slept.stderr
    assert "deployments/airflow-statsd in airflow: not found" in slept.stdout
    assert replicas(kubernetes)["airflow-scheduler"] == 0


def test_a_restore_suspends_the_office_hours_until_the_components_run_again(office, kubernetes,
                                                                           run_cli):
    office.deploy("office")
    root = str(office.root)
    backup = run_cli("backup", "office", "--config", root)
    assert backup.exit_code == 0, backup.stderr
    snapshot = backup.stdout.split("backup ")[1].split()[0]
    seen: list[dict[str, bool]] = []

    def cron_jobs_suspended() -> None:  # as the migration's pod runs
        seen.append({name: job["spec"].get("suspend", False)
                     for name, job in kubernetes.stored("cronjobs", "airflow").items()})

    kubernetes.script("db migrate", lines=["Database migrating done!"], meanwhile=cron_jobs_suspended)
    restored = run_cli("restore", "office", snapshot, "--yes", "--config", root)

    assert restored.exit_code == 0, restored.stderr
    # while the new database was migrated, the controller would have started no wake Job
    assert seen and all(seen[0].values()) and len(seen[0]) == 4
    assert "CronJob airhost-wake-1 suspended" in restored.stderr
    # and once the components ran again, every edge acts again
    jobs = kubernetes.stored("cronjobs", "airflow")
    assert {name: job["spec"]["suspend"] for name, job in jobs.items()} == dict.fromkeys(jobs, False)
    status = json.loads(run_cli("status", "office", "--config", root, "-o", "json").stdout)
    assert not any(job["suspended"] for job in status["kubernetes"]["schedule"])
    assert status["scaling_suspended"] == []
