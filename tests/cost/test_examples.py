"""The examples' monthly figures, computed by hand from the table's eu-west-1 unit prices.

Every example environment is in eu-west-1. The unit prices are written out below and checked
against the shipped table first, so a price change fails here, loudly, before any total does. Each
total is then the arithmetic a reader can redo: 730 hours a month, default assumptions (5 GB of
logs, 10 GB in S3, 20 GB through the NAT gateway or endpoints, 1 LCU, 1 million SQS requests, a
5 GB database, 3 GB in ECR, 100 ECS-executor task-hours).

Celery environments add each worker group's queue metrics: two custom metrics published every
10 s, a high-resolution scale-out alarm and a standard idle alarm; the DogStatsD client's 11
telemetry counters; each task's own two series for 1,000 assumed task-hours (queued or running);
each scheduler's CloudWatch agent calling PutMetricData every 10 s (262,800 calls a month). Parked,
only the alarms remain.
"""

from __future__ import annotations

import pytest

from airhost.cost import estimate

H = 730
# eu-west-1 unit prices (USD), as in airhost/cost/prices.json
ARM_VCPU, ARM_GB = 0.03238, 0.00356  # Fargate arm64, per vCPU-hour / GB-hour
T4G_MICRO = 0.0176  # RDS PostgreSQL db.t4g.micro single-AZ, per hour
T4G_SMALL_MULTI_AZ = 0.0704  # db.t4g.small Multi-AZ, per hour
GP3, GP3_MULTI_AZ = 0.127, 0.254  # RDS gp3, per GB-month
NAT = 0.048  # per hour and per GB processed
IPV4 = 0.005  # per public IPv4 address-hour
ENDPOINT, ENDPOINT_GB = 0.011, 0.01  # interface endpoint per AZ-hour, per GB
ALB, LCU = 0.0252, 0.008  # per hour, per LCU-hour
LOGS_IN, LOGS_STORED = 0.57, 0.03  # CloudWatch Logs per GB ingested, per GB-month stored
S3 = 0.023
SQS = 0.40  # per million requests
SECRET = 0.40  # per secret-month
ECR = 0.10  # per GB-month
EC2_T4G_MEDIUM, EC2_T4G_LARGE, EC2_T3A_LARGE = 0.0368, 0.0736, 0.0823
EC2_T4G_NANO = 0.0046  # the NAT instance
EBS = 0.088  # gp3 per GB-month (Managed Instances root volumes, 30 GiB each)
FEE = 0.12  # Managed Instances management fee, share of the instance price
MWAA_MICRO, MWAA_SMALL, MWAA_MEDIUM = 0.25, 0.49, 0.74
MWAA_SMALL_WORKER, MWAA_MEDIUM_WORKER = 0.055, 0.11
METADB = 0.10
METRIC, ALARM, HIGH_RES_ALARM, THOUSAND_CALLS = 0.30, 0.10, 0.30, 0.01  # CloudWatch


def queue_metrics(groups: int, schedulers: int) -> tuple[float, float]:
    """(running, parked) cost of the worker groups' backlog metrics."""
    alarms = groups * (HIGH_RES_ALARM + ALARM)
    calls = schedulers * H * 3600 / 10
    metrics = 2 * groups + 11 + 2 * 1000 / H  # + telemetry counters + per-task metric-months
    return metrics * METRIC + alarms + calls / 1000 * THOUSAND_CALLS, alarms

# Lines every example shares (default assumptions)
SECRETS = 7 * SECRET  # the data stack renders 7 secrets (database, URL, Fernet seed and key, JWT, API key, admin)
LOGS = 5 * LOGS_IN + 5 * 30 / 30 * LOGS_STORED  # 5 GB in, kept 30 days → 5 GB stored
LOGS_PARKED = 5 * LOGS_STORED
BUCKETS = 10 * S3
GATEWAY_LINE = H * NAT + H * IPV4 + 20 * NAT  # one gateway + its Elastic IP + 20 GB processed
# The examples' egress, the default nat-instance: a t4g.nano, its public IPv4 while it runs, an 8 GB
# gp3 root; no per-GB charge. Parked, the group is at zero: nothing (the gateway is removed too).
NAT_LINE = H * EC2_T4G_NANO + H * IPV4 + 8 * EBS
NAT_PARKED = 0.0
ALB_LINE = H * ALB + 2 * H * IPV4 + 1 * H * LCU  # internet-facing ALB: a public IPv4 in each of 2 AZs
ALB_PARKED = H * ALB + 2 * H * IPV4
DB_MICRO = H * T4G_MICRO + 20 * GP3  # backups: 5 GB + 7 days × 0.5 GB = 8.5 GB, within the free 20 GB
METADB_LINE = 5 * METADB
SHARED_WITH_MWAA = NAT_LINE + LOGS + BUCKETS


def fargate(vcpu: float, gb: float, count: int = 1) -> float:
    return count * H * (vcpu * ARM_VCPU + gb * ARM_GB)


SPLIT_DEFAULT = (fargate(1, 2) + fargate(1, 2)  # api-server, scheduler
                 + fargate(0.5, 2) + fargate(0.5, 1))  # dag-processor, triggerer


def test_unit_prices_are_the_tables(table):
    prices = table.region("eu-west-1")
    assert (prices.get("fargate", "arm64", "vcpu_hour"), prices.get("fargate", "arm64", "gb_hour")) == (
        ARM_VCPU, ARM_GB)
    assert prices.get("rds_postgres", "instance_hour", "db.t4g.micro", "single_az") == T4G_MICRO
    assert prices.get("rds_postgres", "instance_hour", "db.t4g.small", "multi_az") == T4G_SMALL_MULTI_AZ
    assert prices.get("rds_postgres", "gp3_gb_month", "single_az") == GP3
    assert prices.get("rds_postgres", "gp3_gb_month", "multi_az") == GP3_MULTI_AZ
    assert prices.get("nat_gateway", "hour") == prices.get("nat_gateway", "gb_processed") == NAT
    assert prices.get("public_ipv4_hour") == IPV4
    assert (prices.get("vpc_endpoint", "hour_per_az"), prices.get("vpc_endpoint", "gb_processed")) == (
        ENDPOINT, ENDPOINT_GB)
    assert (prices.get("alb", "hour"), prices.get("alb", "lcu_hour")) == (ALB, LCU)
    assert prices.get("cloudwatch_logs", "ingest_gb") == LOGS_IN
    assert prices.get("cloudwatch_logs", "storage_gb_month") == LOGS_STORED
    assert prices.get("s3", "standard_gb_month") == S3
    assert prices.get("sqs", "million_requests") == SQS
    assert prices.get("secrets_manager", "secret_month") == SECRET
    assert prices.get("ecr", "gb_month") == ECR
    assert [prices.get("cloudwatch", key) for key in (
        "metric_month", "alarm_month", "high_resolution_alarm_month", "thousand_requests")] == [
        METRIC, ALARM, HIGH_RES_ALARM, THOUSAND_CALLS]
    assert [prices.get("ec2", "instance_hour", name) for name in (
        "t4g.medium", "t4g.large", "t3a.large", "t4g.nano")] == [
        EC2_T4G_MEDIUM, EC2_T4G_LARGE, EC2_T3A_LARGE, EC2_T4G_NANO]
    assert prices.get("ec2", "ebs_gp3_gb_month") == EBS
    assert prices.get("ec2", "management_fee_ratio") == FEE
    assert [prices.get("mwaa", "environment_hour", c) for c in ("mw1.micro", "mw1.small", "mw1.medium")] == [
        MWAA_MICRO, MWAA_SMALL, MWAA_MEDIUM]
    assert prices.get("mwaa", "worker_hour", "mw1.small") == MWAA_SMALL_WORKER
    assert prices.get("mwaa", "worker_hour", "mw1.medium") == MWAA_MEDIUM_WORKER
    assert prices.get("mwaa", "metadb_gb_month") == METADB


def _check(result, *, active, parked, mwaa_class, mwaa, active_at_max=None, mwaa_at_max=None):
    data = result.to_json()
    assert data["total_monthly"] == pytest.approx(active, abs=0.01)
    assert data["parked_monthly"] == pytest.approx(parked, abs=0.01)
    assert data["mwaa"]["class"] == mwaa_class
    assert data["mwaa"]["total_monthly"] == pytest.approx(mwaa, abs=0.01)
    if active_at_max is not None:
        assert data["total_monthly_at_max"] == pytest.approx(active_at_max, abs=0.01)
    if mwaa_at_max is not None:
        assert data["mwaa"]["total_monthly_at_max"] == pytest.approx(mwaa_at_max, abs=0.01)
    assert data["parked_monthly"] < data["total_monthly"]
    return data


@pytest.mark.parametrize("example, name", [("quickstart", "prod"), ("ecs", "fg-solo")])
def test_standalone_fargate(examples, table, example, name):
    compute = fargate(1, 4)  # one 1 vCPU / 4 GiB task = 34.03
    data = _check(estimate(examples(example, name), table.region("eu-west-1")),
                  active=compute + DB_MICRO + NAT_LINE + LOGS + BUCKETS + SECRETS,  # 63.16
                  parked=DB_MICRO + NAT_PARKED + LOGS_PARKED + BUCKETS + SECRETS,  # 18.57
                  # standalone with 1 vCPU → mw1.micro
                  mwaa_class="mw1.micro", mwaa=H * MWAA_MICRO + METADB_LINE + SHARED_WITH_MWAA)  # 193.94
    lines = {line["line"]: line for line in data["lines"]}
    assert lines["compute: standalone"]["monthly"] == pytest.approx(34.03, abs=0.01)
    assert lines["database (RDS PostgreSQL)"]["monthly"] == pytest.approx(15.39, abs=0.01)
    assert lines["NAT instance"]["monthly"] == pytest.approx(7.71, abs=0.01)
    assert lines["NAT instance"]["parked"] == 0


def test_split_celery_alb_multi_az(examples, table):
    workers_at_max = (fargate(2, 4, count=8)  # default queue: up to 8 × 2 vCPU / 4 GiB
                      + fargate(4, 16, count=2))  # heavy queue: up to 2 × 4 vCPU / 16 GiB
    database = H * T4G_SMALL_MULTI_AZ + 20 * GP3_MULTI_AZ  # backups 5 + 14 × 0.5 = 12 GB: free
    metrics, metrics_parked = queue_metrics(groups=2, schedulers=2)  # 11.38 / 0.80
    active = (fargate(1, 2, count=2) + fargate(1, 2, count=2)  # 2 api-servers, 2 schedulers
              + fargate(0.5, 2) + fargate(0.5, 1)  # dag-processor, triggerer; workers at min 0
              + database + NAT_LINE + ALB_LINE + LOGS + BUCKETS + 1 * SQS + metrics + SECRETS
              + 3 * ECR)  # Celery on SQS runs the project's image (3 GB in ECR)
    # scheduler 1 vCPU, default worker 2 vCPU → mw1.medium; at max: ceil(8 × 2 / 2) + ceil(2 × 4 / 2) = 12
    # workers, 11 beyond the included one. 2 schedulers and 2 web servers are included.
    mwaa = H * MWAA_MEDIUM + METADB_LINE + SHARED_WITH_MWAA
    _check(estimate(examples("ecs", "fg-split-alb"), table.region("eu-west-1")),
           active=active,  # 292.54
           parked=(database + NAT_PARKED + ALB_PARKED + LOGS_PARKED + BUCKETS + metrics_parked + SECRETS
                   + 3 * ECR),  # 125.14
           active_at_max=active + workers_at_max,  # 1,026.16
           mwaa_class="mw1.medium", mwaa=mwaa,  # 583.58
           mwaa_at_max=mwaa + 11 * H * MWAA_MEDIUM_WORKER)  # 1,466.88


def test_managed_instances_standalone(examples, table):
    # 1 vCPU / 4096 MiB on Graviton, 2-4 vCPU, 4-16 GiB: a t4g.medium keeps 90% of 4096 MiB (3686),
    # too little; c7g.large has 4 GiB too; the cheapest that holds it is one t4g.large.
    instances = H * EC2_T4G_LARGE
    active = instances * (1 + FEE) + 30 * EBS + DB_MICRO + NAT_LINE + LOGS + BUCKETS + SECRETS
    _check(estimate(examples("ecs", "mi-solo-ts"), table.region("eu-west-1")),
           active=active,  # 123.88
           parked=DB_MICRO + NAT_PARKED + LOGS_PARKED + BUCKETS + SECRETS,  # instances stop: 18.57
           mwaa_class="mw1.micro", mwaa=H * MWAA_MICRO + METADB_LINE + SHARED_WITH_MWAA)


def test_managed_instances_split(examples, table):
    # Tasks (MiB): api-server 1024/2048, scheduler 1024/2048, dag-processor 512/2048, triggerer 512/1024.
    # On t4g.medium (2048 CPU, 3686 MiB usable) first-fit decreasing needs 3 instances ($0.1104/h):
    # cheaper than 2 × t4g.large or 1 × t4g.xlarge ($0.1472/h).
    instances = 3 * H * EC2_T4G_MEDIUM
    data = _check(estimate(examples("ecs", "mi-split"), table.region("eu-west-1")),
                  active=instances * (1 + FEE) + 3 * 30 * EBS + DB_MICRO + NAT_LINE + LOGS + BUCKETS + SECRETS,
                  parked=DB_MICRO + NAT_PARKED + LOGS_PARKED + BUCKETS + SECRETS,  # 159.25 - 31.94 / 18.57
                  # split, local executor, scheduler 1 vCPU → mw1.small
                  mwaa_class="mw1.small", mwaa=H * MWAA_SMALL + METADB_LINE + SHARED_WITH_MWAA)  # 401.08
    assert "3 × t4g.medium" in data["lines"][0]["detail"]


def test_managed_instances_x86_celery_alb(examples, table):
    # + one Celery worker (1024/4096) at min 1. On t3a.large (2048 CPU, 7373 MiB usable):
    # [worker, api-server] and [scheduler, dag-processor, triggerer] → 2 instances, $0.1646/h,
    # a hair under one t3a.xlarge ($0.1647/h).
    instances = 2 * H * EC2_T3A_LARGE
    metrics, metrics_parked = queue_metrics(groups=1, schedulers=1)  # 7.75 / 0.40
    active = (instances * (1 + FEE) + 2 * 30 * EBS + DB_MICRO + NAT_LINE + ALB_LINE + LOGS + BUCKETS
              + 1 * SQS + metrics + SECRETS + 3 * ECR)  # the project's image, for Celery
    # scheduler and worker 1 vCPU → mw1.small; workers 1 now (included), 4 at max: 3 extra.
    mwaa = H * MWAA_SMALL + METADB_LINE + SHARED_WITH_MWAA
    _check(estimate(examples("ecs", "mi-split-alb"), table.region("eu-west-1")),
           active=active,  # 240.91
           parked=(DB_MICRO + NAT_PARKED + ALB_PARKED + LOGS_PARKED + BUCKETS + metrics_parked + SECRETS
                   + 3 * ECR),  # 83.65
           mwaa_class="mw1.small", mwaa=mwaa, mwaa_at_max=mwaa + 3 * H * MWAA_SMALL_WORKER)  # 401.08 / 521.53


def test_no_nat_gateway_pays_for_endpoints(examples, table):
    # ecr.api, ecr.dkr, logs, secretsmanager, ssm, each in 2 AZs; the S3 gateway endpoint is free.
    endpoints = 5 * 2 * H * ENDPOINT + 20 * ENDPOINT_GB  # 80.50
    endpoints_parked = 5 * 2 * H * ENDPOINT
    _check(estimate(examples("ecs", "fg-nonat"), table.region("eu-west-1")),
           active=fargate(1, 4) + DB_MICRO + endpoints + LOGS + BUCKETS + SECRETS + 3 * ECR,  # 136.25
           parked=DB_MICRO + endpoints_parked + LOGS_PARKED + BUCKETS + SECRETS + 3 * ECR,  # 99.17
           mwaa_class="mw1.micro", mwaa=H * MWAA_MICRO + METADB_LINE + endpoints + LOGS + BUCKETS)  # 266.73


def test_existing_vpc_bills_no_network(examples, table):
    data = _check(estimate(examples("ecs", "fg-vpc-alb"), table.region("eu-west-1")),
                  active=SPLIT_DEFAULT + DB_MICRO + ALB_LINE + LOGS + BUCKETS + SECRETS,  # 142.06
                  parked=DB_MICRO + ALB_PARKED + LOGS_PARKED + BUCKETS + SECRETS,  # 44.26
                  mwaa_class="mw1.small", mwaa=H * MWAA_SMALL + METADB_LINE + LOGS + BUCKETS)  # 361.43
    assert "existing VPC" in " ".join(line["line"] for line in data["lines"])


def test_ecs_executor_task_hours(examples, table):
    tasks = 100 * (1 * ARM_VCPU + 4 * ARM_GB)  # 100 task-hours of the 1 vCPU / 4 GiB worker: 4.66
    _check(estimate(examples("ecs", "fg-ecs-exec"), table.region("eu-west-1")),
           active=SPLIT_DEFAULT + tasks + DB_MICRO + NAT_LINE + LOGS + BUCKETS + SECRETS,  # 154.83
           parked=DB_MICRO + NAT_PARKED + LOGS_PARKED + BUCKETS + SECRETS,
           mwaa_class="mw1.small", mwaa=H * MWAA_SMALL + METADB_LINE + SHARED_WITH_MWAA)


def test_every_cloud_example_is_cheaper_than_mwaa_and_cheaper_parked(examples, table):
    from airhost.config import load_project
    from tests.conftest import REPO

    for name, env in load_project(REPO / "examples" / "ecs").environments.items():
        if env.target != "ecs":
            continue
        data = estimate(env, table.region(env.region)).to_json()
        assert data["parked_monthly"] < data["total_monthly"] < data["mwaa"]["total_monthly"], name
        assert data["savings_monthly"] == pytest.approx(
            data["mwaa"]["total_monthly"] - data["total_monthly"], abs=0.011), name


def test_egress_choices_side_by_side_on_the_default_production_environment(examples, table):
    from airhost.cost.options import egress_options

    prices = table.region("eu-west-1")
    env = examples("ecs", "fg-solo")
    compute_and_rest = fargate(1, 4) + DB_MICRO + LOGS + BUCKETS + SECRETS
    rest_parked = DB_MICRO + LOGS_PARKED + BUCKETS + SECRETS
    endpoints = 5 * 2 * H * ENDPOINT + 20 * ENDPOINT_GB  # ecr.api, ecr.dkr, logs, secretsmanager, ssm × 2 AZs
    options = {o.egress: o for o in egress_options(env, prices)}
    assert options["nat-instance"].current
    assert options["nat-instance"].monthly == pytest.approx(compute_and_rest + NAT_LINE, abs=0.01)
    assert options["nat-instance"].parked == pytest.approx(rest_parked, abs=0.01)
    assert options["nat-gateway"].monthly == pytest.approx(compute_and_rest + GATEWAY_LINE, abs=0.01)
    assert options["nat-gateway"].parked == pytest.approx(rest_parked, abs=0.01)  # removed parked
    assert options["nat-gateway"].difference == pytest.approx(GATEWAY_LINE - NAT_LINE, abs=0.01)
    assert options["endpoints"].parked == pytest.approx(rest_parked + 5 * 2 * H * ENDPOINT, abs=0.01)
    assert options["endpoints"].monthly == pytest.approx(compute_and_rest + endpoints, abs=0.01)
    # the bounds: parked under $20; running, what stands in the way of a fifth of MWAA
    assert options["nat-instance"].parked == pytest.approx(18.57, abs=0.01) and options["nat-instance"].parked <= 20
    assert fargate(1, 4) + DB_MICRO == pytest.approx(49.42, abs=0.01)  # alone above 0.2 × MWAA


def test_office_hours_cost_the_running_figure_awake_and_the_parked_one_asleep(examples, table):
    env = examples("ecs", "fg-office")  # fg-solo awake Mon-Fri 07:00-20:00 Europe/Berlin
    data = estimate(env, table.region("eu-west-1")).to_json()
    services = fargate(1, 4) + LOGS - LOGS_PARKED  # what sleeps with the services: 65 h of 168
    always = DB_MICRO + LOGS_PARKED + BUCKETS + SECRETS  # 18.57
    # the NAT instance wakes 10 min before the services and sleeps 10 min after: 65 h + 5 × 20 min
    nat_hours = 65 + 5 * 20 / 60
    assert data["scheduled_monthly"] == pytest.approx(
        always + services * 65 / 168 + NAT_LINE * nat_hours / 168, abs=0.01)  # 35.90
    assert data["scheduled_monthly"] == pytest.approx(35.90, abs=0.01)
    assert data["scheduled_monthly"] <= 0.2 * data["mwaa"]["total_monthly"]  # 193.94


def test_a_schedule_cannot_park_a_nat_gateway_so_it_bills_all_month(examples, table):
    env = examples("ecs", "fg-office")
    env = env.model_copy(update={"network": env.network.model_copy(update={"egress": "nat-gateway"})})
    data = estimate(env, table.region("eu-west-1")).to_json()
    services = fargate(1, 4) + LOGS - LOGS_PARKED
    always = DB_MICRO + LOGS_PARKED + BUCKETS + SECRETS + GATEWAY_LINE
    assert data["scheduled_monthly"] == pytest.approx(always + services * 65 / 168, abs=0.01)  # 72.49
