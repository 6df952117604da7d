"""Celery workers on ECS: a queue, a service and backlog-driven autoscaling per worker group.

The broker is SQS: nothing to run or patch. Each group (the default queue, and each of
``workers.queues``) gets its SQS queue, named as Celery looks it up (``{project}-{env}-{queue}``),
a service running ``celery worker`` on that queue with its own task size, and its own scaling.

Sizing: ``worker_sizing.desired_workers`` — ceil((queued + running) / tasks_per_worker) within the
group's [min, max] — applied by an Application Auto Scaling step policy (ExactCapacity) built from the
same function, triggered by a CloudWatch alarm on the group's backlog; after ten minutes with an empty
queue a second policy returns the group to min, to zero when min is 0.

Where the backlog comes from, and why: the SQS queue itself. With Celery on SQS the queue *is*
Airflow's queue for that group: the executor sends every queued task instance there; a worker takes a
message when it starts the task and, since Airflow acknowledges late (``task_acks_late``), deletes it
only when the task ends. So ``ApproximateNumberOfMessagesVisible`` (queued, not yet taken) plus
``ApproximateNumberOfMessagesNotVisible`` (taken: running, or prefetched by a worker about to run it)
is queued + running for exactly that group, published by SQS into CloudWatch with nothing to run.
Airflow's own StatsD gauges (``executor.queued_tasks``, ``executor.running_tasks``) were the other
candidate, shipped by a CloudWatch agent sidecar beside the scheduler: they count the executor as a
whole, not per Celery queue, so they cannot size a ``high-memory`` group apart from the default one,
and they add an agent to run, configure and keep alive. Costs of the SQS path, said plainly: SQS
publishes one data point per minute, so with a 60 s alarm period the scale-out decision comes about
one to two minutes after a burst, not reliably within 60 s; and AWS documents that metrics of a queue
idle for hours can take several minutes to resume, which slows the first scale-out from zero.

Graceful shutdown: ECS stops a worker with SIGTERM and waits ``StopTimeout`` (120 s, Fargate's
maximum) before SIGKILL. The official image's init (dumb-init) would forward SIGTERM to every process
of the task, killing running tasks; ``DUMB_INIT_SETSID=0`` makes it signal only Celery's main
process, which stops taking work and lets running tasks finish (warm shutdown). A task still running
after 120 s is killed with its worker and its message reappears for another worker after the
visibility timeout; Airflow's retries then apply.

Image: Celery's SQS transport needs ``boto3`` and ``pycurl`` (``celery[sqs]``). The official image
has boto3 (the Amazon provider) but not pycurl, so a Celery environment on ECS runs the project's
image (``ecs.image: ecr``) with ``celery[sqs]`` in its requirements; the config says so when it
is missing.
"""

from __future__ import annotations

from airhost.config.models import Environment, WorkerQueue
from airhost.render.ecs.common import Json, Template, get_att, prefix, ref, sub
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
        _scaling(template, env, key, settings)


def _backlog(key: str) -> list[Json]:
    def metric(id_: str, name: str) -> Json:
        return {"Id": id_, "ReturnData": False, "MetricStat": {
            "Metric": {"Namespace": "AWS/SQS", "MetricName": name,
                       "Dimensions": [{"Name": "QueueName", "Value": get_att(f"{key}Queue", "QueueName")}]},
            "Period": 60, "Stat": "Maximum"}}

    return [metric("waiting", "ApproximateNumberOfMessagesVisible"),
            metric("running", "ApproximateNumberOfMessagesNotVisible"),
            {"Id": "backlog", "Expression": "waiting + running", "Label": "Celery backlog",
             "ReturnData": True}]


def _scaling(template: Template, env: Environment, key: str, settings: WorkerQueue) -> None:
    resource = sub(f"service/${{Cluster}}/${{{key}Service.Name}}")
    template.add(f"{key}Scaling", "AWS::ApplicationAutoScaling::ScalableTarget",
                 f"{key} runs between its min and max tasks", {
                     "ServiceNamespace": "ecs", "ScalableDimension": "ecs:service:DesiredCount",
                     "ResourceId": resource, "MinCapacity": settings.min, "MaxCapacity": settings.max})
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
        "Metrics": _backlog(key), "ComparisonOperator": "GreaterThanThreshold", "Threshold": 0,
        "EvaluationPeriods": 1, "TreatMissingData": "notBreaching",
        "AlarmActions": [ref(f"{key}ScaleOut")]})
    template.add(f"{key}IdleAlarm", "AWS::CloudWatch::Alarm", f"{key}: nothing queued for ten minutes", {
        "AlarmDescription": f"{prefix(env)} {key}: Celery queue idle",
        "Metrics": _backlog(key), "ComparisonOperator": "LessThanOrEqualToThreshold", "Threshold": 0,
        "EvaluationPeriods": 10, "TreatMissingData": "breaching",
        "AlarmActions": [ref(f"{key}ScaleIn")]})
