"""airhost's own objects beside the chart: one-off pods and Jobs, secrets, the adopted account."""

from __future__ import annotations

from airhost.render.eks.pods import adopted_service_account, command_job, command_pod


def test_a_one_off_pod_runs_as_the_scheduler_with_secrets_only_by_reference(environments, values):
    env, _ = environments["auto"]
    pod = command_pod(env, values["auto"], ["dags", "list"], name="airhost-run-1", purpose="run",
                      timeout=60)
    spec = pod["spec"]
    container = spec["containers"][0]
    assert spec["serviceAccountName"] == "airflow-scheduler" and spec["restartPolicy"] == "Never"
    assert spec["activeDeadlineSeconds"] == 60 and container["args"] == ["dags", "list"]
    assert container["image"] == "apache/airflow:3.2.0-python3.12"
    by_name = {item["name"]: item for item in container["env"]}
    connection = by_name["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]["valueFrom"]["secretKeyRef"]
    assert connection == {"name": "airhost-database-direct", "key": "connection"}  # RDS, not PgBouncer
    assert by_name["AIRFLOW__CORE__FERNET_KEY"]["valueFrom"]["secretKeyRef"]["name"] == \
        "airhost-fernet-key"
    assert not any(name.startswith("AIRHOST_ADMIN") for name in by_name)  # only the bootstrap's
    assert all("value" in item or "valueFrom" in item for item in container["env"])


def test_the_bootstrap_job_is_never_retried_and_carries_the_admin_by_reference(environments, values):
    env, _ = environments["auto"]
    job = command_job(env, values["auto"], ["db", "migrate"], name="airhost-bootstrap-1",
                      purpose="bootstrap", timeout=1800)
    assert job["spec"]["backoffLimit"] == 0 and job["spec"]["ttlSecondsAfterFinished"] == 86400
    env_vars = {item["name"]: item for item in job["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env_vars["AIRHOST_ADMIN_PASSWORD"]["valueFrom"]["secretKeyRef"] == {
        "name": "airhost-admin", "key": "password"}


def test_the_service_account_created_before_the_chart_is_helm_adoptable(environments):
    env, _ = environments["auto"]
    account = adopted_service_account(env, "scheduler")["metadata"]
    assert account["labels"]["app.kubernetes.io/managed-by"] == "Helm"
    assert account["annotations"] == {"meta.helm.sh/release-name": "airflow",
                                      "meta.helm.sh/release-namespace": "airflow"}
