"""`airhost cost` as a user runs it: the table, the JSON, the refresh fallback, the errors."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from airhost.aws.errors import CredentialsMissing
from airhost.aws.pricing import PriceList
from tests.conftest import REPO

QUICKSTART = str(REPO / "examples" / "quickstart")
ECS = str(REPO / "examples" / "ecs")
EKS = str(REPO / "examples" / "eks")


def test_table_shows_lines_totals_date_region_and_savings(run_cli):
    result = run_cli("cost", "fg-split-alb", "--config", ECS)
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    for text in ("compute: api-server", "database (RDS PostgreSQL)", "NAT instance", "load balancer (ALB)",
                 "MWAA environment mw1.medium", "total", "$260.60", "$86.45", "$551.64"):
        assert text in out, text
    assert "eu-west-1, dated 2026-11-22" in out
    assert "saves $291.04 a month" in out and "Every worker at its max all month: $994.22" in out


def test_an_egress_choice_the_target_refuses_says_why(run_cli):
    data = json.loads(run_cli("cost", "auto", "--config", EKS, "--output", "json").stdout)
    options = {option["egress"]: option for option in data["egress_options"]}
    assert options["nat-instance"]["refused"] is None and options["nat-gateway"]["refused"] is None
    assert "on EKS leaves nodes no way to pull the chart's images" in options["endpoints"]["refused"]
    table = run_cli("cost", "auto", "--config", EKS).stdout
    assert "[refused as configured: network.egress endpoints on EKS" in " ".join(table.split())
    # on ECS the same choice is open once the image comes from ECR, and says so
    ecs = json.loads(run_cli("cost", "prod", "--config", QUICKSTART, "--output", "json").stdout)
    endpoints = next(option for option in ecs["egress_options"] if option["egress"] == "endpoints")
    assert "set ecs.image: ecr" in endpoints["refused"]


def test_json_has_our_total_and_mwaas(run_cli):
    result = run_cli("cost", "prod", "--config", QUICKSTART, "--output", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert {"environment", "region", "prices_date", "lines", "total_monthly", "parked_monthly",
            "mwaa"} <= set(data)
    assert data["environment"] == "prod" and data["region"] == "eu-west-1"
    assert data["mwaa"]["class"] == "mw1.micro"
    assert data["total_monthly"] == pytest.approx(63.16, abs=0.01)
    assert data["parked_monthly"] == pytest.approx(18.57, abs=0.01)
    assert data["mwaa"]["total_monthly"] == pytest.approx(193.94, abs=0.01)
    assert sum(line["monthly"] for line in data["lines"]) == pytest.approx(data["total_monthly"], abs=0.02)
    for line in data["lines"]:
        assert {"line", "detail", "monthly", "parked", "mwaa"} <= set(line)
        assert line["parked"] <= line["monthly"]
    assert data["assumptions"]["logs_gb"] == 5.0 and data["notes"]
    assert data["prices_refreshed"] == []


def test_local_costs_nothing_on_aws(run_cli):
    result = run_cli("cost", "local", "--config", QUICKSTART)
    assert result.exit_code == 2
    assert "costs nothing on AWS" in result.stderr and "Traceback" not in result.stderr


def test_an_instance_type_outside_the_table_says_how_to_price_it(run_cli, write_project):
    root = write_project("""
        project: analytics
        environments:
          hosts: {target: ec2, region: eu-west-1, ec2: {instance_type: g5.xlarge}}
    """)
    result = run_cli("cost", "hosts", "--config", str(root))
    assert result.exit_code != 0
    assert "g5.xlarge" in result.stderr and "--refresh-prices" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_region_outside_the_table_says_which_are_known(run_cli, write_project):
    root = write_project("""
        project: analytics
        environments:
          prod: {target: ecs, region: ca-central-1}
    """)
    result = run_cli("cost", "prod", "--config", str(root))
    assert result.exit_code == 2
    for text in ("ca-central-1", "us-east-1", "eu-west-1", "ap-southeast-1", "--refresh-prices"):
        assert text in result.stderr, text


def test_unknown_database_class_is_a_clear_error(run_cli, write_project):
    root = write_project("""
        project: analytics
        environments:
          prod: {target: ecs, region: us-east-1, database: {instance_class: db.r8gd.48xlarge}}
    """)
    result = run_cli("cost", "prod", "--config", str(root))
    assert result.exit_code == 2
    assert "db.r8gd.48xlarge" in result.stderr and "--refresh-prices" in result.stderr


def test_refresh_falls_back_to_the_shipped_table(run_cli, monkeypatch):
    def unreachable(cls):
        raise CredentialsMissing("no AWS credentials found", hint="run 'aws configure'")

    monkeypatch.setattr(PriceList, "connect", classmethod(unreachable))
    result = run_cli("cost", "prod", "--config", QUICKSTART, "--refresh-prices", "--output", "json")
    assert result.exit_code == 0
    assert "could not refresh prices" in result.stderr and "shipped with airhost" in result.stderr
    data = json.loads(result.stdout)
    assert data["prices_date"] == "2026-11-22" and data["prices_refreshed"] == []
    assert data["total_monthly"] == pytest.approx(63.16, abs=0.01)


class FakePriceList:
    def figures(self, region, asked):
        assert region == "eu-west-1"
        return {("nat_gateway", "hour"): 0.05}


def test_refreshed_prices_are_used_and_dated(run_cli, monkeypatch):
    monkeypatch.setattr(PriceList, "connect", classmethod(lambda cls: FakePriceList()))
    result = run_cli("cost", "prod", "--config", QUICKSTART, "--refresh-prices", "--output", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["prices_refreshed"] == ["nat_gateway → hour"]
    assert data["prices_date"] == datetime.now(timezone.utc).date().isoformat()
    assert data["prices_source"].startswith("AWS Price List API")
    # the environment's NAT instance is not the gateway; its cheaper-options row is
    instance = next(line for line in data["lines"] if line["line"] == "NAT instance")
    options = {option["egress"]: option for option in data["egress_options"]}
    assert options["nat-gateway"]["difference"] == pytest.approx(
        730 * 0.05 + 730 * 0.005 + 20 * 0.048 - instance["monthly"], abs=0.01)


def test_refresh_covers_a_region_outside_the_table(run_cli, write_project, monkeypatch):
    class Canada:
        def figures(self, region, asked):
            assert region == "ca-central-1"
            return {("fargate", "arm64", "vcpu_hour"): 0.0356, ("fargate", "arm64", "gb_hour"): 0.0039}

    monkeypatch.setattr(PriceList, "connect", classmethod(lambda cls: Canada()))
    root = write_project("""
        project: analytics
        environments:
          prod: {target: ecs, region: ca-central-1}
    """)
    result = run_cli("cost", "prod", "--config", str(root), "--refresh-prices", "--output", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    compute = next(line for line in data["lines"] if line["line"] == "compute: standalone")
    assert compute["monthly"] == pytest.approx(730 * (1 * 0.0356 + 4 * 0.0039), abs=0.01)
    assert any("ca-central-1 is not in the shipped table" in note for note in data["notes"])


def test_refresh_prices_the_ec2_groups_instance_types(run_cli, monkeypatch):
    class Gpu:
        def figures(self, region, asked):
            wanted = {dict(query.filters).get("instanceType") for query in asked} - {None}
            assert wanted == {"g5.xlarge", "m7g.large", "t4g.large", "t4g.medium"}
            return {("ec2", "instance_hour", "g5.xlarge"): 1.123}

    monkeypatch.setattr(PriceList, "connect", classmethod(lambda cls: Gpu()))
    config = str(REPO / "examples" / "ec2")
    result = run_cli("cost", "ec2-split", "--config", config, "--refresh-prices", "--output", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    instances = next(line for line in data["lines"] if line["line"] == "instances (EC2 on demand)")
    assert "g5.xlarge" in instances["detail"] and data["prices_refreshed"] == [
        "ec2 → instance_hour → g5.xlarge"]
