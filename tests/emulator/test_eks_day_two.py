"""Backup and restore of an EKS environment (emulator + Kubernetes API double), as a user types
them: the snapshot listed, then a restore whose pods come back reading the new database."""

from __future__ import annotations

import boto3
import pytest

from tests.emulator.test_eks_deploy import Kube, kube, secret  # noqa: F401  (the fixture)

pytestmark = pytest.mark.emulator


def _url_secret(deployment) -> str:
    arn = deployment.outputs_by_layer["data"]["DatabaseUrlSecretArn"]
    return deployment.secrets.get_json(arn)["value"]


def test_backup_list_then_restore_copies_the_new_database_url_into_the_cluster(
        kube, kubernetes, run_cli):  # noqa: F811
    kube.deploy("auto")
    root = str(kube.root)
    run_cli("scale", "auto", "scheduler=2", "--config", root)
    before = kube.aws("auto")
    old_instance, old_url = before.facts().database, _url_secret(before)
    assert secret(kubernetes, "airhost-database-direct", "connection") == old_url

    backup = run_cli("backup", "auto", "--config", root)
    assert backup.exit_code == 0, backup.stderr
    snapshot = backup.stdout.split("backup ")[1].split()[0]
    listed = run_cli("backups", "auto", "--config", root)
    assert listed.exit_code == 0 and snapshot in listed.stdout

    kubernetes.requests.clear()
    restored = run_cli("restore", "auto", snapshot, "--yes", "--config", root)
    assert restored.exit_code == 0, restored.stderr
    after = kube.aws("auto")
    new_instance, new_url = after.facts().database, _url_secret(after)
    assert new_instance != old_instance and new_url != old_url
    # the pods read the Kubernetes copy: it carries the new instance, PgBouncer's too
    assert secret(kubernetes, "airhost-database-direct", "connection") == new_url
    endpoint = after.outputs_by_layer["data"]["DatabaseEndpoint"]
    assert f"host={endpoint} " in secret(kubernetes, "airhost-pgbouncer", "pgbouncer.ini")
    # copied while everything was held, before the migration pod and the scale-up
    requests = kubernetes.requests
    copied = max(i for i, (verb, path) in enumerate(requests)
                 if verb == "PATCH" and path.endswith("/secrets/airhost-database-direct"))
    held = [i for i, (verb, path) in enumerate(requests) if "/scale" in path and verb != "GET"]
    migrated = next(i for i, (verb, path) in enumerate(requests)
                    if verb == "POST" and path.endswith("/jobs"))
    assert held and held[0] < copied < migrated < held[-1]
    # back at the counts they had, manual scaling too
    states = {c.component: c.desired for c in after.components()}
    assert states["scheduler"] == 2 and states["api-server"] == 1
    cleanup = run_cli("restore", "auto", "--cleanup", "--yes", "--config", root)
    assert cleanup.exit_code == 0, cleanup.stderr
    instances = {db["DBInstanceIdentifier"] for db in
                 boto3.client("rds").describe_db_instances()["DBInstances"]}
    assert old_instance not in instances and new_instance in instances


OLDER = """\
project: kube
region: eu-west-1
airflow: {version: "3.1.3", python: "3.12"}
environments:
  auto:
    target: eks
"""
OLD_TAG, NEW_TAG = "3.1.3-python3.12", "3.2.0-python3.12"


@pytest.fixture
def older(emulator, kubernetes, write_project, monkeypatch, chart) -> Kube:
    """An EKS environment deployed with Airflow 3.1.3, every write to the double noted."""
    monkeypatch.setenv("AIRHOST_HELM_CHART", str(chart))
    kubernetes.script("db migrate", lines=["Database migrating done!"])
    older = Kube(write_project(OLDER))
    older.deploy("auto")
    older.writes = []
    put = kubernetes.put

    def noting(group_version, plural, namespace, obj, *, new):
        if plural in ("jobs", "deployments", "statefulsets"):
            containers = obj.get("spec", {}).get("template", {}).get("spec", {}).get("containers")
            older.writes.append((plural, obj["metadata"]["name"], (containers or [{}])[0].get("image")))
        return put(group_version, plural, namespace, obj, new=new)

    monkeypatch.setattr(kubernetes, "put", noting)
    return older


def _scheduler_image(kubernetes) -> str:
    deployment = kubernetes.stored("deployments", "airflow")["airflow-scheduler"]
    return deployment["spec"]["template"]["spec"]["containers"][0]["image"]


def _release(kube) -> dict:
    from airhost.ops.release import read_release

    return read_release(kube.aws("auto"))


def test_upgrade_migrates_in_a_job_of_the_new_image_before_helm_upgrades(older, kubernetes,
                                                                         run_cli):
    assert _scheduler_image(kubernetes).endswith(OLD_TAG)
    before = _release(older)
    result = run_cli("upgrade", "auto", "--airflow-version", "3.2.0", "--yes",
                     "--config", str(older.root))
    assert result.exit_code == 0, result.stderr
    assert "upgraded kube-auto from Airflow 3.1.3 to 3.2.0" in result.stdout
    text = result.stderr
    assert (text.index("snapshotting database") < text.index("stopping the components")
            < text.index("scaling scheduler") < text.index("migrating the metadata database")
            < text.index("helm upgrade --install"))
    # the migration Job ran with the new image, before any component got it
    job = next(i for i, (plural, _, _) in enumerate(older.writes) if plural == "jobs")
    assert older.writes[job][2].endswith(NEW_TAG)
    first_new = next(i for i, (plural, _, image) in enumerate(older.writes)
                     if plural != "jobs" and image and image.endswith(NEW_TAG))
    assert job < first_new
    assert _scheduler_image(kubernetes).endswith(NEW_TAG)
    states = {c.component: (c.state, c.desired) for c in older.aws("auto").components()}
    assert states["scheduler"] == ("RUNNING", 1) and states["api-server"] == ("RUNNING", 1)
    after = _release(older)
    assert after.airflow_version == "3.2.0" and after.image.endswith(NEW_TAG)
    assert after.facts["helm_revision"] == before.facts["helm_revision"] + 1


def test_a_failed_upgrade_migration_rolls_helm_back_and_restores_the_snapshot(older, kubernetes,
                                                                              run_cli):
    run_cli("scale", "auto", "scheduler=2", "--config", str(older.root))
    old_instance = older.aws("auto").facts().database
    kubernetes.script("db migrate", exit_code=1,
                      lines=["alembic.util.exc.CommandError: Can't locate revision"])
    result = run_cli("upgrade", "auto", "--airflow-version", "3.2.0", "--yes", "--auto-restore",
                     "--config", str(older.root))
    assert result.exit_code == 1
    error = result.stderr
    assert "failed while migrating the database" in error and "Can't locate revision" in error
    assert "rolling Helm release airflow back to revision" in error
    assert f"compute stack: previous release (apache/airflow:{OLD_TAG}) serving" in error
    assert "release record: still Airflow 3.1.3" in error
    after = older.aws("auto")
    new_instance = after.facts().database
    assert new_instance != old_instance and "restored from kube-auto-pre-upgrade-" in error
    # the previous release serves again, on the restored database, at the counts it ran
    assert _scheduler_image(kubernetes).endswith(OLD_TAG)
    assert not [w for w in older.writes if w[0] != "jobs" and (w[2] or "").endswith(NEW_TAG)]
    url = after.secrets.get_json(after.outputs_by_layer["data"]["DatabaseUrlSecretArn"])["value"]
    assert secret(kubernetes, "airhost-database-direct", "connection") == url
    states = {c.component: (c.state, c.desired) for c in after.components()}
    assert states["scheduler"] == ("RUNNING", 2) and states["api-server"] == ("RUNNING", 1)
    assert _release(older).airflow_version == "3.1.3"
