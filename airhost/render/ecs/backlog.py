"""The backlog each Celery worker group scales on: Airflow's own gauges, carried into CloudWatch.

Path, end to end (each step a setting rendered here or in ``airflow_env``):

1. The scheduler counts task instances by state and queue in the metadata database every
   ``TI_METRICS_INTERVAL`` (5 s; stock Airflow: 30 s) and emits ``ti.queued`` and ``ti.running`` as
   DogStatsD gauges tagged ``queue``, ``dag_id``, ``task_id`` to 127.0.0.1:8125. Only those two
   gauges leave Airflow (``metrics_allow_list``), so the metric bill stays two series per queue.
2. AWS's CloudWatch agent, a sidecar in each scheduler task (same network namespace, so the UDP
   port is not exposed), collects StatsD every 10 s, rolls the gauges up to the ``queue`` dimension,
   and publishes every 10 s as high-resolution metrics (a collection interval under 60 s makes them
   so) in the ``airhost/<project>-<env>`` namespace. The agent publishes what it receives as well:
   each task's own two series (while the task is queued or running) and the DogStatsD client's 11
   telemetry counters; the agent's ``drop_original_metrics`` does not apply to StatsD, and the
   client has no setting to turn its telemetry off. Both are small, and counted by ``airhost cost``.
3. Per worker group, a high-resolution alarm reads ``Sum`` of both metrics over 10 s periods (the
   queue's total: each task's gauge contributes its latest value once per collection), divides by
   the number of schedulers (each scheduler task reports the same database counts), and invokes the
   group's step policy (``worker_sizing``) on the first breaching period.

Latency budget from a burst to the scale-out decision, worst case: gauge 5 s + agent collection
10 s + agent flush 10 s + one 10 s alarm period + alarm evaluation (up to one period) ≈ 45 s,
under the 60 s aim; the SQS queues' own metrics are published once a minute, which would put
the same decision one to two minutes out.

Why these pieces: the gauges are Airflow's own and per queue, so each worker group is sized on
exactly its work; the CloudWatch agent is AWS's maintained StatsD-to-CloudWatch bridge, configured
from an environment variable, with nothing to build. Its image comes from the public ECR gallery.
"""

from __future__ import annotations

import json

from airhost.config.models import Environment
from airhost.render.airflow_env import BACKLOG_GAUGES, STATSD_PREFIX
from airhost.render.common import Json, allow, prefix

AGENT_IMAGE = "public.ecr.aws/cloudwatch-agent/cloudwatch-agent:1.300066.1b1374"
STATSD_ADDRESS = "127.0.0.1:8125"
COLLECTION_SECONDS = 10  # agent collection and flush; alarms read periods of the same length
QUEUE_DIMENSION = "queue"


def namespace(env: Environment) -> str:
    return f"airhost/{prefix(env)}"


def metric_names() -> list[str]:
    """The CloudWatch metric names of the backlog gauges (StatsD names, dots kept)."""
    return [f"{STATSD_PREFIX}.{gauge}" for gauge in BACKLOG_GAUGES]


def agent_config(env: Environment) -> Json:
    """The CloudWatch agent's configuration: StatsD in, per-queue high-resolution metrics out."""
    agent: Json = {"omit_hostname": True}
    if env.region:
        agent["region"] = env.region
    return {
        "agent": agent,
        "metrics": {
            "namespace": namespace(env),
            "force_flush_interval": COLLECTION_SECONDS,
            "aggregation_dimensions": [[QUEUE_DIMENSION]],
            "metrics_collected": {"statsd": {
                "service_address": STATSD_ADDRESS,
                "metrics_collection_interval": COLLECTION_SECONDS,
                "metrics_aggregation_interval": COLLECTION_SECONDS,
                "metric_separator": ".",
            }},
        },
    }


def agent_container(env: Environment, log_configuration: Json) -> Json:
    """The sidecar that carries the scheduler's gauges to CloudWatch. Not essential: if it stops,
    Airflow keeps running and workers stay at their current size until ECS restarts the task."""
    return {
        "Name": "cloudwatch-agent", "Image": AGENT_IMAGE, "Essential": False,
        "Environment": [{"Name": "CW_CONFIG_CONTENT",
                         "Value": json.dumps(agent_config(env), sort_keys=True)}],
        "LogConfiguration": log_configuration,
        "MemoryReservation": 64,
    }


def put_metrics_statement(env: Environment) -> Json:
    """The task role may publish metrics into this environment's namespace only."""
    # PutMetricData has no resource to scope to; the namespace condition is its scope.
    return allow(["cloudwatch:PutMetricData"], "*", "PublishBacklog",
                 StringEquals={"cloudwatch:namespace": namespace(env)})


def backlog_queries(env: Environment, queue: str, statistic: str, period: int,
                    schedulers: int | None = None) -> list[Json]:
    """Alarm metric queries: queued + running task instances of ``queue``, per scheduler
    (``schedulers``: how many report the same counts; the ECS setting unless given)."""
    def metric(id_: str, name: str) -> Json:
        return {"Id": id_, "ReturnData": False, "MetricStat": {
            "Metric": {"Namespace": namespace(env), "MetricName": name,
                       "Dimensions": [{"Name": QUEUE_DIMENSION, "Value": queue}]},
            "Period": period, "Stat": statistic}}

    queued, running = metric_names()
    schedulers = env.ecs.schedulers if schedulers is None else schedulers
    expression = "FILL(queued, 0) + FILL(running, 0)"
    if schedulers > 1:
        expression = f"({expression}) / {schedulers}"
    return [metric("queued", queued), metric("running", running),
            {"Id": "backlog", "Expression": expression,
             "Label": f"Celery queue '{queue}': queued + running task instances", "ReturnData": True}]

