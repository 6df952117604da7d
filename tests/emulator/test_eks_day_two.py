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
