"""The AWS Price List API: today's on-demand prices for the figures of airhost's price table.

The ``pricing`` service answers from us-east-1 for every region. ``PriceList.figures`` asks for the
products of a handful of services in one region and returns ``{path: USD}``, where a path is where
the figure sits in ``airhost/cost/prices.json`` (e.g. ``("nat_gateway", "hour")``). A product
matches by its attributes (usage type, instance type, deployment); its price is the on-demand
term's first tier. Figures that cannot be found are left out: the caller keeps the shipped ones.
MWAA and a few minor figures are not asked for (their Price List attributes are not stable enough
to match); they always come from the shipped table.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from airhost.aws.session import AwsSession, Clock

PRICING_REGION = "us-east-1"
Path = tuple[str, ...]
Matcher = Callable[[dict[str, str]], "Path | None"]


@dataclass(frozen=True)
class Query:
    """One ``get_products`` question: a service's products in a region, narrowed by ``filters``."""

    service: str
    filters: tuple[tuple[str, str], ...]
    match: Matcher


def _by_usage(patterns: dict[str, Path]) -> Matcher:
    """Match on the usage type's ending (usage types carry a region prefix, e.g. ``EUW1-``)."""
    compiled = [(re.compile(rf"(^|-){pattern}$"), path) for pattern, path in patterns.items()]

    def match(attributes: dict[str, str]) -> Path | None:
        usage = attributes.get("usagetype", "")
        if "Spot" in usage:  # Spot capacity is not what the estimate prices
            return None
        for pattern, path in compiled:
            if pattern.search(usage):
                return path
        return None

    return match


def _database_instances(classes: Iterable[str]) -> Matcher:
    wanted = set(classes)
    deployments = {"Single-AZ": "single_az", "Multi-AZ": "multi_az"}

    def match(attributes: dict[str, str]) -> Path | None:
        deployment = deployments.get(attributes.get("deploymentOption", ""))
        name = attributes.get("instanceType", "")
        if deployment and name in wanted:
            return ("rds_postgres", "instance_hour", name, deployment)
        return None

    return match


def _database_storage(attributes: dict[str, str]) -> Path | None:
    deployment = {"Single-AZ": "single_az", "Multi-AZ": "multi_az"}.get(attributes.get("deploymentOption", ""))
    if deployment and attributes.get("volumeType") == "General Purpose-GP3":
        return ("rds_postgres", "gp3_gb_month", deployment)
    return None


def _instance(name: str) -> Matcher:
    def match(attributes: dict[str, str]) -> Path | None:
        if attributes.get("instanceType") == name and re.search(r"BoxUsage:", attributes.get("usagetype", "")):
            return ("ec2", "instance_hour", name)
        return None

    return match


def queries(instance_types: Iterable[str] = (), database_classes: Iterable[str] = ()) -> list[Query]:
    """The questions that cover the price table's figures (instance types and classes as asked)."""
    found = [
        Query("AmazonECS", (), _by_usage({
            r"Fargate-vCPU-Hours:perCPU": ("fargate", "x86_64", "vcpu_hour"),
            r"Fargate-GB-Hours": ("fargate", "x86_64", "gb_hour"),
            r"Fargate-ARM-vCPU-Hours:perCPU": ("fargate", "arm64", "vcpu_hour"),
            r"Fargate-ARM-GB-Hours": ("fargate", "arm64", "gb_hour")})),
        Query("AmazonEC2", (("productFamily", "NAT Gateway"),), _by_usage({
            r"NatGateway-Hours": ("nat_gateway", "hour"),
            r"NatGateway-Bytes": ("nat_gateway", "gb_processed")})),
        Query("AmazonVPC", (), _by_usage({
            r"VpcEndpoint-Hours": ("vpc_endpoint", "hour_per_az"),
            r"PublicIPv4:InUseAddress": ("public_ipv4_hour",)})),
        Query("AWSELB", (("productFamily", "Load Balancer-Application"),), _by_usage({
            r"LoadBalancerUsage": ("alb", "hour"),
            r"LCUUsage": ("alb", "lcu_hour")})),
        Query("AmazonCloudWatch", (), _by_usage({
            r"DataProcessing-Bytes": ("cloudwatch_logs", "ingest_gb"),
            r"TimedStorage-ByteHrs": ("cloudwatch_logs", "storage_gb_month")})),
        Query("AmazonS3", (("volumeType", "Standard"),), _by_usage({
            r"TimedStorage-ByteHrs": ("s3", "standard_gb_month")})),
        Query("AmazonRDS", (("productFamily", "Database Storage"), ("databaseEngine", "PostgreSQL")),
              _database_storage),
    ]
    classes = sorted(set(database_classes))
    if classes:
        found.append(Query("AmazonRDS", (("productFamily", "Database Instance"),
                                         ("databaseEngine", "PostgreSQL")), _database_instances(classes)))
    for name in sorted(set(instance_types)):
        found.append(Query("AmazonEC2", (("instanceType", name), ("operatingSystem", "Linux"),
                                         ("tenancy", "Shared"), ("preInstalledSw", "NA"),
                                         ("capacitystatus", "Used")), _instance(name)))
    return found


def on_demand_usd(item: dict[str, Any]) -> float | None:
    """The first-tier on-demand USD price of one Price List product, if it has a readable one."""
    for term in item.get("terms", {}).get("OnDemand", {}).values():
        dimensions = list(term.get("priceDimensions", {}).values())
        first = [d for d in dimensions if str(d.get("beginRange", "0")) == "0"] or dimensions
        for dimension in first:
            try:
                return float(dimension["pricePerUnit"]["USD"])
            except (KeyError, TypeError, ValueError):
                continue
    return None


def match_products(query: Query, price_list: Iterable[str | dict[str, Any]]) -> dict[Path, float]:
    """Paths and prices of the products in ``price_list`` (JSON strings, as the API sends them)."""
    figures: dict[Path, float] = {}
    for raw in price_list:
        try:
            item = json.loads(raw) if isinstance(raw, str) else raw
        except ValueError:
            continue  # an unreadable entry is one figure fewer, not a failed refresh
        path = query.match(item.get("product", {}).get("attributes", {}))
        price = on_demand_usd(item) if path else None
        # Several products can share a usage type (e.g. a free tier next to the paid one): keep a
        # non-zero price over a zero one.
        if path and price is not None and (path not in figures or figures[path] == 0.0):
            figures[path] = price
    return figures


class PriceList:
    """Asks the Price List API; every error comes out as an ``airhost.aws.errors`` error."""

    def __init__(self, session: AwsSession) -> None:
        self.session = session

    @classmethod
    def connect(cls) -> PriceList:
        # A refresh is optional: retry throttling briefly rather than with the deploy's long backoff.
        return cls(AwsSession(PRICING_REGION, clock=Clock(sleep=lambda seconds: time.sleep(min(seconds, 1.0)))))

    def figures(self, region: str, asked: list[Query]) -> dict[Path, float]:
        found: dict[Path, float] = {}
        for query in asked:
            filters = [{"Type": "TERM_MATCH", "Field": "regionCode", "Value": region}]
            filters += [{"Type": "TERM_MATCH", "Field": field, "Value": value} for field, value in query.filters]
            products = self.session.pages("pricing", "get_products", "PriceList", ServiceCode=query.service,
                                          Filters=filters, FormatVersion="aws_v1")
            for path, price in match_products(query, products).items():
                found.setdefault(path, price)
        return found
