"""`airhost cost` covers EKS: the control plane, nodes, Auto Mode's fee, the Ingress's ALB."""

from __future__ import annotations

from airhost.cost import Assumptions, load_price_table
from airhost.targets import targets


def _lines(env, config_hash):
    """The estimate as `airhost cost` makes it: through the EKS target."""
    prices = load_price_table().region(env.region)
    result = targets()["eks"].estimate(env, prices, Assumptions())
    return {line.label: line.monthly for line in result.lines}, result


def test_a_new_auto_mode_cluster_pays_the_control_plane_nodes_and_the_fee(environments):
    lines, result = _lines(*environments["auto"])
    assert round(lines["EKS control plane"], 2) == 73.00  # $0.10 an hour, 730 hours
    assert lines["nodes (EKS Auto Mode)"] > 0
    assert 0 < lines["EKS Auto Mode management fee"] < lines["nodes (EKS Auto Mode)"]
    assert result.mwaa_total > 0


def test_the_alb_of_the_ingress_is_priced_and_ha_costs_more(environments):
    auto, _ = _lines(*environments["auto"])
    ha, _ = _lines(*environments["ha"])
    assert "load balancer (ALB, from the Ingress)" in ha
    assert ha["nodes (EKS Auto Mode)"] > auto["nodes (EKS Auto Mode)"]


def test_an_existing_cluster_is_not_billed_again(environments):
    lines, _ = _lines(*environments["shared"])
    assert lines["EKS cluster (existing)"] == 0.0
    assert "EKS control plane" not in lines


def test_a_node_group_is_counted_at_its_min(environments):
    env, config_hash = environments["nodes"]
    lines, _ = _lines(env, config_hash)
    prices = load_price_table().region(env.region)
    hourly = prices.get("ec2", "instance_hour", "m7g.large")
    assert lines["nodes (managed node group)"] > 2 * hourly * 730


def test_parked_the_control_plane_and_the_ingress_load_balancer_still_bill(environments):
    _, auto = _lines(*environments["auto"])
    parked = {line.label: line.parked for line in auto.lines}
    assert round(parked["EKS control plane"], 2) == 73.00  # the cluster stays while nothing runs
    assert parked["nodes (EKS Auto Mode)"] == 0.0 and parked["EKS Auto Mode management fee"] == 0.0
    _, ha = _lines(*environments["ha"])
    alb = next(line for line in ha.lines if line.label == "load balancer (ALB, from the Ingress)")
    # $0.0252 an hour and two public IPv4 at $0.005, 730 hours; the LCU only while it serves
    assert round(alb.parked, 2) == round((0.0252 + 2 * 0.005) * 730, 2) == 25.70
    assert round(alb.monthly - alb.parked, 2) == round(0.008 * 730, 2)


def test_mwaa_of_equal_capacity_follows_the_pods_not_ecs_defaults(environments):
    _, auto = _lines(*environments["auto"])
    # scheduler pods of 0.5 vCPU and task pods of 0.5: MWAA's smallest class with workers
    # (mw1.micro is one container for everything, which no EKS environment is)
    assert auto.mwaa.environment_class == "mw1.small" and auto.mwaa.workers == 1
    _, ha = _lines(*environments["ha"])
    # Celery workers of 2 vCPU → mw1.medium; three of them → the included worker and 2 more;
    # two schedulers and two API servers are what medium includes
    assert ha.mwaa.environment_class == "mw1.medium" and ha.mwaa.workers == 3
    labels = {line.label: line.monthly for line in ha.mwaa.lines}
    assert round(labels["MWAA additional workers"], 2) == round(2 * 0.11 * 730, 2)
    assert "MWAA additional schedulers" not in labels
