"""Destroying an environment on the emulator: snapshot first, reverse order, data kept."""

from __future__ import annotations

import json

import boto3
import pytest

pytestmark = pytest.mark.emulator


def stacks() -> set[str]:
    return {s["StackName"] for s in boto3.client("cloudformation").describe_stacks()["Stacks"]}


def test_destroy_snapshots_the_database_and_keeps_the_buckets(shop, run_cli):
    shop.deploy()
    buckets = shop.aws().stacks()["data"].outputs
    result = run_cli("destroy", "prod", "--yes", "--config", str(shop.root))

    assert result.exit_code == 0, result.stderr
    assert "final database snapshot: shop-prod-final-" in result.stdout
    snapshot = result.stdout.split("final database snapshot: ")[1].split()[0]
    found = boto3.client("rds").describe_db_snapshots(DBSnapshotIdentifier=snapshot)["DBSnapshots"]
    assert found[0]["Status"] == "available"
    assert not stacks() & {"shop-prod-network", "shop-prod-data", "shop-prod-airflow"}
    # newest layer first
    order = [line for line in result.stderr.splitlines() if "deleting stack" in line]
    assert [line.split()[-1] for line in order] == ["shop-prod-airflow", "shop-prod-data",
                                                     "shop-prod-network"]
    names = {b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]}
    assert {buckets["LogsBucket"], buckets["DagsBucket"]} <= names
    assert f"kept bucket: {buckets['LogsBucket']}" in result.stdout
    with pytest.raises(Exception):
        boto3.client("ssm").get_parameter(Name="/airhost/shop/prod/release")


def test_destroy_with_delete_data_removes_the_buckets(shop, run_cli):
    shop.deploy()
    buckets = shop.aws().stacks()["data"].outputs
    boto3.client("s3").put_object(Bucket=buckets["DagsBucket"], Key="dags/etl.py", Body=b"x")
    result = run_cli("destroy", "prod", "--yes", "--delete-data", "--config", str(shop.root),
                     "-o", "json")

    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["buckets_deleted"][buckets["DagsBucket"]] == 1
    names = {b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]}
    assert not names & {buckets["LogsBucket"], buckets["DagsBucket"]}


def test_destroy_asks_for_the_name_and_refuses_without_a_terminal(shop, run_cli):
    shop.deploy()
    result = run_cli("destroy", "prod", "--config", str(shop.root))

    assert result.exit_code == 2
    assert "pass --yes" in result.stderr
    assert "shop-prod-data" in stacks()


def test_destroy_of_an_environment_never_deployed(shop, run_cli):
    result = run_cli("destroy", "prod", "--yes", "--config", str(shop.root))

    assert result.exit_code == 5
    assert "has no stacks in eu-west-1" in result.stderr
