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


def test_office_hours_on_auto_mode_cost_what_a_hand_computation_says(environments):
    """examples/eks `office`: `auto` awake Mon-Fri 07:00-20:00 (65 of the week's 168 hours).

    Prices: eu-west-1 in the shipped table. Awake, the pods' requests (1.65 vCPU, 3.7 GiB) fit one
    m7g.large ($0.0894/h); the assumed 100 task-pod hours each take a quarter of one (0.5 of its
    2 vCPU), with Auto Mode's 12% fee on all of it, once. Asleep, Auto Mode has removed the nodes; the
    NAT instance sleeps too, 20 minutes a day less (it wakes 10 minutes before, sleeps 10 after).
    The control plane, the database, S3 and the secrets bill all month; logs keep their storage.
    """
    _, office = _lines(*environments["office"])
    awake, nat_awake = 65 / 168, 5 * (13 + 20 / 60) / 168
    nodes = 0.0894 * 730 + 100 * 0.25 * 0.0894                 # 67.50
    fee = 0.12 * 0.0894 * 730 + 100 * 0.25 * 0.0894 * 0.12     # 8.10
    nat = (0.0046 + 0.005) * 730 + 8 * 0.088                    # t4g.nano, its IPv4, 8 GB: 7.71
    always = 0.10 * 730 + (0.0176 * 730 + 20 * 0.127) + 0.23 + 7 * 0.40 + 0.15  # 91.57
    by_hand = always + (nodes + fee + 2.85) * awake + nat * nat_awake
    assert round(by_hand, 2) == round(office.scheduled, 2) == 124.98
    assert round(office.total, 2) == 177.73 and round(office.parked, 2) == 91.57
    assert round(office.mwaa_total, 2) == 369.14


def test_on_a_schedule_a_node_groups_minimum_still_bills_all_month(environments):
    from airhost.config.schedule import ScheduleSettings

    env, config_hash = environments["nodes"]
    office = env.model_copy(update={"schedule": ScheduleSettings(awake=["Mon-Fri 07:00-20:00"])})
    _, result = _lines(office, config_hash)
    group = next(line for line in result.lines if line.label == "nodes (managed node group)")
    assert group.parked == group.monthly  # min 2 of m7g.large: they run asleep too
    plane = next(line for line in result.lines if line.label == "EKS control plane")
    assert plane.parked == plane.monthly
    assert result.scheduled is not None and result.scheduled > group.monthly + plane.monthly
