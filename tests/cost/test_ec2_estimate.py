"""The EC2 examples' monthly figures, computed by hand from the table's eu-west-1 unit prices.

The same 730-hour month, default assumptions and shared lines as ``test_examples`` (whose unit
prices are checked against the table there); EC2 adds its groups' instances on demand and one
encrypted gp3 root volume each, and, in the split topology, the internal NLB every other group
reaches the API server through. Parked, the groups are at zero: no instance, no volume.
"""

from __future__ import annotations

import pytest

from airhost.config import load_project
from airhost.cost import CostError
from airhost.targets import target_of
from tests.conftest import REPO
from tests.cost.test_examples import (
    ALB,
    BUCKETS,
    DB_MICRO,
    EBS,
    EC2_T4G_LARGE,
    EC2_T4G_MEDIUM,
    LOGS,
    LOGS_PARKED,
    METADB_LINE,
    MWAA_MEDIUM,
    NAT_LINE,
    SECRETS,
    SHARED_WITH_MWAA,
    SQS,
    H,
    queue_metrics,
)

M7G_LARGE = 0.0894  # eu-west-1 on demand, per hour
G5_XLARGE = 1.123  # not in the shipped table: given here as --refresh-prices would give it


@pytest.fixture(scope="module")
def hosts():
    return load_project(REPO / "examples" / "ec2")


def estimate(env, prices):
    return target_of(env).estimate(env, prices).to_json()


def test_the_cheapest_always_on_setup(hosts, table):
    prices = table.region("eu-west-1")
    assert prices.get("ec2", "instance_hour", "m7g.large") == M7G_LARGE
    data = estimate(hosts.environment("ec2-solo"), prices)
    lines = {line["line"]: line for line in data["lines"]}
    assert lines["instances (EC2 on demand)"]["monthly"] == pytest.approx(H * EC2_T4G_LARGE, abs=0.01)
    assert lines["root volumes (EBS gp3)"]["monthly"] == pytest.approx(30 * EBS, abs=0.01)
    assert "internal load balancer (NLB)" not in lines  # one instance: nothing to balance
    running = H * EC2_T4G_LARGE + 30 * EBS + DB_MICRO + NAT_LINE + LOGS + BUCKETS + SECRETS
    assert data["total_monthly"] == pytest.approx(running, abs=0.01)  # $85.50
    # parked: the instance and its volume are gone; the database, logs, buckets, secrets stay
    assert data["parked_monthly"] == pytest.approx(DB_MICRO + LOGS_PARKED + BUCKETS + SECRETS, abs=0.01)
    # one node of 2 vCPU running everything: MWAA's class covering 2 vCPU, as for a 2-vCPU ECS task
    assert data["mwaa"]["class"] == "mw1.medium"
    assert data["mwaa"]["total_monthly"] == pytest.approx(
        H * MWAA_MEDIUM + METADB_LINE + SHARED_WITH_MWAA, abs=0.01)  # $551.64
    assert data["total_monthly"] < data["mwaa"]["total_monthly"]


def test_split_celery_with_a_gpu_queue(hosts, table):
    env = hosts.environment("ec2-split")
    with pytest.raises(CostError, match="g5.xlarge.*--refresh-prices"):
        estimate(env, table.region("eu-west-1"))
    prices = table.region("eu-west-1").with_figures(
        {("ec2", "instance_hour", "g5.xlarge"): G5_XLARGE}, date="2026-12-01", source="test")
    data = estimate(env, prices)
    lines = {line["line"]: line for line in data["lines"]}
    # api-server, dag-processor, triggerer on t4g.medium, the scheduler on t4g.large, the default
    # worker group at its min 1 on m7g.large (max 6), the GPU queue at 0 (max 2) on g5.xlarge
    always = 3 * EC2_T4G_MEDIUM + EC2_T4G_LARGE
    instances = H * (always + 1 * M7G_LARGE)
    instances_at_max = H * (always + 6 * M7G_LARGE + 2 * G5_XLARGE)
    volumes = (4 * 30 + 1 * 40) * EBS
    volumes_at_max = (4 * 30 + 6 * 40 + 2 * 100) * EBS
    assert lines["instances (EC2 on demand)"]["monthly"] == pytest.approx(instances, abs=0.01)
    assert lines["instances (EC2 on demand)"]["monthly_at_max"] == pytest.approx(instances_at_max, abs=0.01)
    assert lines["root volumes (EBS gp3)"]["monthly"] == pytest.approx(volumes, abs=0.01)
    assert lines["root volumes (EBS gp3)"]["monthly_at_max"] == pytest.approx(volumes_at_max, abs=0.01)
    nlb = H * ALB
    assert lines["internal load balancer (NLB)"]["monthly"] == lines[
        "internal load balancer (NLB)"]["parked"] == pytest.approx(nlb, abs=0.01)
    metrics, alarms = queue_metrics(groups=2, schedulers=1)  # a queue per worker group
    assert lines["Celery queues (SQS)"]["monthly"] == pytest.approx(1 * SQS, abs=0.01)
    assert lines["queue metrics (CloudWatch)"]["monthly"] == pytest.approx(metrics, abs=0.01)
    shared = DB_MICRO + NAT_LINE + LOGS + BUCKETS + SECRETS
    assert data["total_monthly"] == pytest.approx(
        instances + volumes + nlb + SQS + metrics + shared, abs=0.01)  # $270.34
    assert data["total_monthly_at_max"] == pytest.approx(
        instances_at_max + volumes_at_max + nlb + SQS + metrics + shared, abs=0.01)
    assert data["parked_monthly"] == pytest.approx(
        DB_MICRO + LOGS_PARKED + BUCKETS + SECRETS + nlb + alarms, abs=0.01)


def test_cost_and_diagram_from_the_command_line(run_cli, tmp_path):
    config = str(REPO / "examples" / "ec2")
    result = run_cli("cost", "ec2-solo", "--config", config, "-o", "json")
    assert result.exit_code == 0, result.stderr
    assert "instances (EC2 on demand)" in result.stdout
    svg = tmp_path / "d.svg"
    result = run_cli("diagram", "ec2-split", "--config", config, "--out", str(svg))
    assert result.exit_code == 0, result.stderr
    text = svg.read_text()
    assert "hosts-ec2-split-compute" in text and "Auto Scaling group" in text
    assert "launch template" in text and "EC2 split (6 groups" in text
