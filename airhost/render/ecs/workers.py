"""Celery workers on ECS: a queue, a service and backlog-driven autoscaling per worker group.

The broker is SQS: nothing to run or patch. Each group (the default queue, and each of
``workers.queues``) gets its SQS queue, named as Celery looks it up (``{project}-{env}-{queue}``),
a service running ``celery worker`` on that queue with its own task size, and its own scaling.

Sizing: ``worker_sizing.desired_workers`` — ceil((queued + running) / tasks_per_worker) within the
group's [min, max] — applied by an Application Auto Scaling step policy (ExactCapacity) built from the
same function, triggered by a high-resolution CloudWatch alarm on the group's backlog (10 s periods);
after ten minutes with nothing queued or running a second policy returns the group to min, to zero
when min is 0.

Where the backlog comes from, and why: Airflow's own per-queue gauges of queued and running task
instances, carried into CloudWatch by the CloudWatch agent beside the scheduler — see ``backlog``,
which also gives the latency budget (a scale-out decision about 45 s after a burst, worst case).
The group's SQS queue is only the broker; its CloudWatch metrics arrive once a minute, too late.

Graceful shutdown: ECS stops a worker with SIGTERM and waits ``StopTimeout`` (120 s, Fargate's
maximum) before SIGKILL. The official image's init (dumb-init) would forward SIGTERM to every process
of the task, killing running tasks; ``DUMB_INIT_SETSID=0`` makes it signal only Celery's main
process, which stops taking work and lets running tasks finish (warm shutdown). A task still running
after 120 s is killed with its worker and its message reappears for another worker after the
visibility timeout; Airflow's retries then apply.

Image: Celery's SQS transport needs ``pycurl`` (``celery[sqs]``) and the backlog gauges need
Airflow's DogStatsD client (``datadog``); the official image has neither, so a Celery environment on
ECS runs the project's image (``ecs.image: ecr``), to which ``image build`` adds both.
"""

from __future__ import annotations

from airhost.config.models import Environment, WorkerQueue
from airhost.render.ecs.backlog import COLLECTION_SECONDS, backlog_queries
from airhost.render.common import Json, Template, prefix, ref
from airhost.render.ecs.schedule import scalable_target
from airhost.render.ecs.services import camel, service
from airhost.render.ecs.tasks import size_of, task_definition
from airhost.render.ecs.worker_sizing import scale_out_steps

DEFAULT_QUEUE = "default"


def worker_groups(env: Environment) -> dict[str, tuple[str, WorkerQueue]]:
    """Service name → (Celery queue, its settings)."""
    groups: dict[str, tuple[str, WorkerQueue]] = {"worker": (DEFAULT_QUEUE, env.workers)}
    for queue, settings in sorted(env.workers.queues.items()):
        groups[f"worker-{queue}"] = (queue, settings)
    return groups


def celery_workers(template: Template, env: Environment, parameters: dict[str, str]) -> None:
    for name, (queue, settings) in worker_groups(env).items():
        key = camel(name)
        template.add(f"{key}Queue", "AWS::SQS::Queue", f"Celery queue '{queue}'", {
            "QueueName": f"{prefix(env)}-{queue}",
            "SqsManagedSseEnabled": True,
            # Celery's own visibility timeout for Airflow; a task running longer is redelivered.
            "VisibilityTimeout": 21600})
        task_definition(template, env, name, ["worker"], f"Celery workers of queue '{queue}'",
                        command=["celery", "worker", "--queues", queue],
                        size=settings.size or size_of(env, "worker"))
        service(template, env, name, f"{key}TaskDefinition",
                f"Celery workers of queue '{queue}', scaled on its backlog")
        parameters[f"DesiredCount{key}"] = str(settings.min)
        _scaling(template, env, key, queue, settings)


def _scaling(template: Template, env: Environment, key: str, queue: str, settings: WorkerQueue) -> None:
    scalable_target(template, env, key, settings.min, settings.max,
                    f"{key} runs between its min and max tasks")
    per_worker = settings.tasks_per_worker
    adjustments = []
    for step in scale_out_steps(per_worker, settings.min, settings.max):
        adjustment: Json = {"MetricIntervalLowerBound": step.lower, "ScalingAdjustment": step.workers}
        if step.upper is not None:
            adjustment["MetricIntervalUpperBound"] = step.upper
        adjustments.append(adjustment)
    template.add(f"{key}ScaleOut", "AWS::ApplicationAutoScaling::ScalingPolicy",
                 f"{key}: ceil((queued + running) / {per_worker}) workers, within min..max", {
                     "PolicyName": f"{key}-backlog", "PolicyType": "StepScaling",
                     "ScalingTargetId": ref(f"{key}Scaling"),
                     "StepScalingPolicyConfiguration": {
                         "AdjustmentType": "ExactCapacity", "Cooldown": 60,
                         "MetricAggregationType": "Maximum", "StepAdjustments": adjustments}})
    template.add(f"{key}ScaleIn", "AWS::ApplicationAutoScaling::ScalingPolicy",
                 f"{key}: back to min when the queue is idle", {
                     "PolicyName": f"{key}-idle", "PolicyType": "StepScaling",
                     "ScalingTargetId": ref(f"{key}Scaling"),
                     "StepScalingPolicyConfiguration": {
                         "AdjustmentType": "ExactCapacity", "Cooldown": 300,
                         "MetricAggregationType": "Maximum",
                         "StepAdjustments": [{"MetricIntervalUpperBound": 0,
                                              "ScalingAdjustment": settings.min}]}})
    template.add(f"{key}BacklogAlarm", "AWS::CloudWatch::Alarm", f"{key}: tasks are waiting or running", {
        "AlarmDescription": f"{prefix(env)} {key}: Celery backlog above zero",
        "Metrics": backlog_queries(env, queue, "Sum", COLLECTION_SECONDS),
        "ComparisonOperator": "GreaterThanThreshold", "Threshold": 0,
        "EvaluationPeriods": 1, "DatapointsToAlarm": 1, "TreatMissingData": "notBreaching",
        "AlarmActions": [ref(f"{key}ScaleOut")]})
    template.add(f"{key}IdleAlarm", "AWS::CloudWatch::Alarm", f"{key}: nothing queued for ten minutes", {
        "AlarmDescription": f"{prefix(env)} {key}: Celery queue idle",
        # Minutes are enough to notice idleness: a standard-resolution alarm, Maximum over a minute.
        "Metrics": backlog_queries(env, queue, "Maximum", 60),
        "ComparisonOperator": "LessThanOrEqualToThreshold", "Threshold": 0,
        "EvaluationPeriods": 10, "TreatMissingData": "breaching",
        "AlarmActions": [ref(f"{key}ScaleIn")]})
