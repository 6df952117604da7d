"""Celery workers on ECS: a queue, a service and queue-driven autoscaling per worker group.

The broker is SQS: nothing to run or patch. Each group (the default queue, and each of
``workers.queues``) gets its SQS queue, named as Celery looks it up (``{project}-{env}-{queue}``),
a service running ``celery worker`` on that queue, and scaling on the queue's backlog: messages
waiting plus messages being worked on (Airflow acknowledges late, so a running task stays in flight).
Workers needed = backlog / tasks_per_worker, between the group's min and max; an empty queue for ten
minutes scales back to min — to zero when min is 0, so idle environments cost nothing for workers.
"""

from __future__ import annotations

from airhost.config.models import Environment, WorkerQueue
from airhost.render.ecs.common import Json, Template, get_att, prefix, ref, sub
from airhost.render.ecs.services import camel, service
from airhost.render.ecs.tasks import size_of, task_definition

DEFAULT_QUEUE = "default"
MAX_STEPS = 10


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
    steps = min(settings.max, MAX_STEPS)
    adjustments = []
    for step in range(1, steps + 1):
        adjustment: Json = {"MetricIntervalLowerBound": (step - 1) * per_worker,
                            "ScalingAdjustment": step if step < steps else settings.max}
        if step < steps:
            adjustment["MetricIntervalUpperBound"] = step * per_worker
        adjustments.append(adjustment)
    template.add(f"{key}ScaleOut", "AWS::ApplicationAutoScaling::ScalingPolicy",
                 f"{key}: one worker per {per_worker} queued or running tasks", {
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
