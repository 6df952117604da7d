"""`airhost cost` covers EKS: the control plane, nodes, Auto Mode's fee, the Ingress's ALB."""

from __future__ import annotations

from airhost.cost import Assumptions, estimate, load_price_table
from airhost.cost.eks import eks_compute_lines
from airhost.render.eks import render_stacks


def _lines(env, config_hash):
    prices = load_price_table().region(env.region)
    result = estimate(env, prices, Assumptions(), compute_lines=eks_compute_lines,
                      stacks=render_stacks(env, config_hash))
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
