"""Refreshing prices from the AWS Price List API, on botocore's Stubber; and falling back when it fails."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone

import boto3
import pytest
from botocore.stub import ANY, Stubber

from airhost.aws.errors import AccessDenied
from airhost.aws.pricing import PriceList, match_products, on_demand_usd, queries
from airhost.aws.session import AwsSession, Clock

PUBLISHED = "2026-11-01T00:00:00Z"


def product(service: str, usagetype: str, usd: str, *, family: str = "Compute", unit: str = "Hrs",
            tiers: list[tuple[str, str, str]] | None = None, **attributes: str) -> str:
    """One Price List entry as the API sends it: a JSON string, on-demand term, price dimensions."""
    sku = hashlib.sha256(repr((service, usagetype, sorted(attributes.items()))).encode()).hexdigest()[:16].upper()
    dimensions = {}
    for index, (begin, end, price) in enumerate(tiers or [("0", "Inf", usd)]):
        code = f"{sku}.JRTCKXETXF.{index}YS6EN2CT7"
        dimensions[code] = {"unit": unit, "endRange": end, "beginRange": begin, "appliesTo": [],
                            "rateCode": code, "description": f"{usagetype} tier {index}",
                            "pricePerUnit": {"USD": price}}
    return json.dumps({
        "product": {"productFamily": family, "sku": sku, "attributes": {
            "regionCode": "eu-west-1", "location": "EU (Ireland)", "locationType": "AWS Region",
            "servicecode": service, "usagetype": usagetype, "operation": "", **attributes}},
        "serviceCode": service,
        "terms": {"OnDemand": {f"{sku}.JRTCKXETXF": {
            "priceDimensions": dimensions, "sku": sku, "effectiveDate": PUBLISHED,
            "offerTermCode": "JRTCKXETXF", "termAttributes": {}}}},
        "version": "20261101000000", "publicationDate": PUBLISHED})


ANSWERS = {
    "AmazonECS": [
        product("AmazonECS", "EU-Fargate-vCPU-Hours:perCPU", "0.0404800000", cputype="perCPU"),
        product("AmazonECS", "EU-Fargate-GB-Hours", "0.0044450000", memorytype="perGB"),
        product("AmazonECS", "EU-Fargate-ARM-vCPU-Hours:perCPU", "0.0323800000", cputype="perCPU"),
        product("AmazonECS", "EU-Fargate-ARM-GB-Hours", "0.0035600000", memorytype="perGB"),
        product("AmazonECS", "EU-Fargate-Windows-vCPU-Hours:perCPU", "0.0914800000"),
        product("AmazonECS", "EU-Fargate-EphemeralStorage-GB-Hours", "0.0001110000"),
    ],
    "AmazonEC2": [product("AmazonEC2", "EU-NatGateway-Hours", "0.0480000000", family="NAT Gateway"),
                  product("AmazonEC2", "EU-NatGateway-Bytes", "0.0480000000", family="NAT Gateway",
                          unit="GB")],
    "AmazonVPC": [product("AmazonVPC", "EU-VpcEndpoint-Hours", "0.0110000000", family="VpcEndpoint"),
                  product("AmazonVPC", "EU-VpcEndpoint-Bytes", "0.0100000000", family="VpcEndpoint",
                          unit="GB", tiers=[("0", "1048576", "0.0100000000"),
                                            ("1048576", "Inf", "0.0060000000")]),
                  product("AmazonVPC", "EU-PublicIPv4:InUseAddress", "0.0050000000",
                          family="VPC Public IPv4 Address")],
    "AWSELB": [product("AWSELB", "EU-LoadBalancerUsage", "0.0252000000", family="Load Balancer-Application"),
               product("AWSELB", "EU-LCUUsage", "0.0080000000", family="Load Balancer-Application",
                       unit="LCU-Hrs")],
    "AmazonCloudWatch": [
        # the free tier comes first with a zero price; the paid product must win
        product("AmazonCloudWatch", "EU-DataProcessing-Bytes", "0.0000000000", family="Data Payload",
                unit="GB"),
        product("AmazonCloudWatch", "EU-DataProcessing-Bytes", "0.5700000000", family="Data Payload",
                unit="GB"),
        product("AmazonCloudWatch", "EU-TimedStorage-ByteHrs", "0.0300000000", family="Storage Snapshot",
                unit="GB-Mo")],
    "AmazonS3": [product("AmazonS3", "EU-TimedStorage-ByteHrs", "", family="Storage", unit="GB-Mo",
                         volumeType="Standard", tiers=[("0", "51200", "0.0230000000"),
                                                       ("51200", "512000", "0.0220000000"),
                                                       ("512000", "Inf", "0.0210000000")])],
    "AmazonRDS:Database Storage": [
        product("AmazonRDS", "EU-RDS:GP3-Storage", "0.1270000000", family="Database Storage", unit="GB-Mo",
                volumeType="General Purpose-GP3", deploymentOption="Single-AZ", databaseEngine="PostgreSQL"),
        product("AmazonRDS", "EU-RDS:Multi-AZ-GP3-Storage", "0.2540000000", family="Database Storage",
                unit="GB-Mo", volumeType="General Purpose-GP3", deploymentOption="Multi-AZ",
                databaseEngine="PostgreSQL")],
    "AmazonRDS:Database Instance": [
        product("AmazonRDS", "EU-InstanceUsage:db.t4g.micro", "0.0180000000", family="Database Instance",
                instanceType="db.t4g.micro", deploymentOption="Single-AZ", databaseEngine="PostgreSQL"),
        product("AmazonRDS", "EU-Multi-AZUsage:db.t4g.micro", "0.0360000000", family="Database Instance",
                instanceType="db.t4g.micro", deploymentOption="Multi-AZ", databaseEngine="PostgreSQL"),
        product("AmazonRDS", "EU-InstanceUsage:db.t4g.small", "0.0360000000", family="Database Instance",
                instanceType="db.t4g.small", deploymentOption="Single-AZ", databaseEngine="PostgreSQL")],
}


@pytest.fixture
def session(monkeypatch) -> AwsSession:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    boto = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                 region_name="us-east-1")
    clock = Clock(sleep=lambda seconds: None, utcnow=lambda: datetime(2026, 11, 22, tzinfo=timezone.utc))
    return AwsSession("us-east-1", clock=clock, boto_session=boto)


def answer_all(stubber: Stubber, asked) -> None:
    for query in asked:
        key = query.service
        if query.service == "AmazonRDS":
            key += ":" + dict(query.filters)["productFamily"]
        filters = [{"Type": "TERM_MATCH", "Field": "regionCode", "Value": "eu-west-1"}]
        filters += [{"Type": "TERM_MATCH", "Field": f, "Value": v} for f, v in query.filters]
        stubber.add_response("get_products", {"FormatVersion": "aws_v1", "PriceList": ANSWERS.get(key, [])},
                             {"ServiceCode": query.service, "Filters": filters, "FormatVersion": "aws_v1"})


def test_figures_come_from_the_matching_products(session):
    asked = queries(database_classes=["db.t4g.micro"])
    with Stubber(session.client("pricing")) as stubber:
        answer_all(stubber, asked)
        figures = PriceList(session).figures("eu-west-1", asked)
        stubber.assert_no_pending_responses()
    assert figures == {
        ("fargate", "x86_64", "vcpu_hour"): 0.04048, ("fargate", "x86_64", "gb_hour"): 0.004445,
        ("fargate", "arm64", "vcpu_hour"): 0.03238, ("fargate", "arm64", "gb_hour"): 0.00356,
        ("nat_gateway", "hour"): 0.048, ("nat_gateway", "gb_processed"): 0.048,
        ("vpc_endpoint", "hour_per_az"): 0.011, ("public_ipv4_hour",): 0.005,
        ("alb", "hour"): 0.0252, ("alb", "lcu_hour"): 0.008,
        ("cloudwatch_logs", "ingest_gb"): 0.57, ("cloudwatch_logs", "storage_gb_month"): 0.03,
        ("s3", "standard_gb_month"): 0.023,
        ("rds_postgres", "gp3_gb_month", "single_az"): 0.127, ("rds_postgres", "gp3_gb_month", "multi_az"): 0.254,
        ("rds_postgres", "instance_hour", "db.t4g.micro", "single_az"): 0.018,
        ("rds_postgres", "instance_hour", "db.t4g.micro", "multi_az"): 0.036,
    }


def test_the_first_tier_is_the_price():
    item = json.loads(ANSWERS["AmazonS3"][0])
    assert on_demand_usd(item) == 0.023


def test_instance_types_are_asked_one_by_one():
    asked = queries(instance_types=["t4g.large", "t4g.medium", "t4g.large"])
    ec2 = [dict(q.filters).get("instanceType") for q in asked if q.service == "AmazonEC2"]
    assert ec2 == [None, "t4g.large", "t4g.medium"]  # NAT gateway first, then each type once
    box = product("AmazonEC2", "EU-BoxUsage:t4g.large", "0.0736000000", instanceType="t4g.large")
    dedicated = product("AmazonEC2", "EU-DedicatedUsage:t4g.large", "0.0810000000", instanceType="t4g.large")
    assert match_products(asked[-2], [dedicated, box]) == {("ec2", "instance_hour", "t4g.large"): 0.0736}


def test_an_api_error_is_an_airhost_error(session):
    with Stubber(session.client("pricing")) as stubber:
        stubber.add_client_error("get_products", service_error_code="AccessDeniedException",
                                 service_message="not authorized to perform pricing:GetProducts",
                                 expected_params={"ServiceCode": "AmazonECS", "Filters": ANY,
                                                  "FormatVersion": "aws_v1"})
        with pytest.raises(AccessDenied, match="pricing:get_products"):
            PriceList(session).figures("eu-west-1", queries())


def test_unreadable_entries_are_skipped():
    asked = queries()[0]  # Fargate
    broken = json.loads(ANSWERS["AmazonECS"][0])
    broken["terms"]["OnDemand"] = {"X": {"priceDimensions": {"Y": {"pricePerUnit": {"USD": "n/a"}}}}}
    assert match_products(asked, ["{not json", json.dumps(broken), ANSWERS["AmazonECS"][1]]) == {
        ("fargate", "x86_64", "gb_hour"): 0.004445}
