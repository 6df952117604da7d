"""The shipped price table: dated, sourced, complete for the main regions, honest in its notes."""

from __future__ import annotations

import re

import pytest

from airhost.cost import CostError, load_price_table, region_from_reference

MAIN_REGIONS = {"us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-1"}
FIGURES = [
    ("fargate", "x86_64", "vcpu_hour"), ("fargate", "x86_64", "gb_hour"),
    ("fargate", "arm64", "vcpu_hour"), ("fargate", "arm64", "gb_hour"),
    ("ec2", "management_fee_ratio"), ("ec2", "ebs_gp3_gb_month"),
    ("rds_postgres", "gp3_gb_month", "single_az"), ("rds_postgres", "gp3_gb_month", "multi_az"),
    ("rds_postgres", "backup_gb_month"), ("nat_gateway", "hour"), ("nat_gateway", "gb_processed"),
    ("vpc_endpoint", "hour_per_az"), ("vpc_endpoint", "gb_processed"), ("alb", "hour"), ("alb", "lcu_hour"),
    ("public_ipv4_hour",), ("cloudwatch_logs", "ingest_gb"), ("cloudwatch_logs", "storage_gb_month"),
    ("s3", "standard_gb_month"), ("sqs", "million_requests"), ("secrets_manager", "secret_month"),
    ("ecr", "gb_month"), ("mwaa", "metadb_gb_month"), ("cloudwatch", "metric_month"),
    ("cloudwatch", "alarm_month"), ("cloudwatch", "high_resolution_alarm_month"),
    ("cloudwatch", "thousand_requests"),
]
MWAA_CLASSES = ["mw1.micro", "mw1.small", "mw1.medium", "mw1.large", "mw1.xlarge", "mw1.2xlarge"]


def test_table_is_dated_and_sourced(table):
    assert re.match(r"^\d{4}-\d{2}-\d{2}$", table.date)
    assert "aws.amazon.com" in table.source and table.hours_per_month == 730
    assert any("unconfirmed" in note for note in table.notes)


@pytest.mark.parametrize("region", sorted(MAIN_REGIONS))
def test_every_main_region_has_every_figure(table, region):
    prices = table.region(region)
    for path in FIGURES:
        assert 0 < prices.get(*path) < 5, (region, path)
    for name in ("db.t4g.micro", "db.t4g.small", "db.t4g.medium", "db.t4g.large", "db.m7g.large"):
        single = prices.get("rds_postgres", "instance_hour", name, "single_az")
        assert prices.get("rds_postgres", "instance_hour", name, "multi_az") == pytest.approx(2 * single)
    assert set(prices.names("mwaa", "environment_hour")) == set(MWAA_CLASSES)
    assert {"t4g.medium", "t4g.large", "m7g.large", "t3.medium", "m6a.large"} <= set(
        prices.names("ec2", "instance_hour"))
    assert set(prices.names("ec2", "instance_hour")) <= set(table.instance_types)
    assert prices.get("fargate", "arm64", "vcpu_hour") < prices.get("fargate", "x86_64", "vcpu_hour")
    if region != "us-east-1":
        assert prices.notes, "a region's approximations are named in its notes"


def test_unknown_region_names_the_known_ones_and_the_way_out(table):
    with pytest.raises(CostError) as caught:
        table.region("ca-central-1")
    message = str(caught.value)
    assert "ca-central-1" in message and "eu-west-1" in message and "--refresh-prices" in message
    assert caught.value.exit_code == 2


def test_missing_figure_is_a_clear_error(table):
    with pytest.raises(CostError, match="no price for rds_postgres → instance_hour → db.x9.huge"):
        table.region("us-east-1").get("rds_postgres", "instance_hour", "db.x9.huge", "single_az")


def test_refreshed_figures_replace_the_shipped_ones_and_redate(table):
    prices = table.region("eu-west-1").with_figures({("nat_gateway", "hour"): 0.05}, date="2027-01-02",
                                                    source="AWS Price List API")
    assert prices.get("nat_gateway", "hour") == 0.05
    assert prices.get("nat_gateway", "gb_processed") == 0.048  # untouched
    assert prices.date == "2027-01-02" and prices.refreshed == ("nat_gateway → hour",)
    assert table.region("eu-west-1").get("nat_gateway", "hour") == 0.048  # the table is not changed


def test_a_region_outside_the_table_starts_from_us_east_1(table):
    prices = region_from_reference(table, "ca-central-1")
    assert prices.region == "ca-central-1"
    assert prices.get("nat_gateway", "hour") == table.region("us-east-1").get("nat_gateway", "hour")
    assert any("us-east-1" in note for note in prices.notes)


def test_loading_is_repeatable():
    assert load_price_table() == load_price_table()
