"""An emulator gap: moto's CloudFormation skips Application Auto Scaling resources and alarms.

``AWS::ApplicationAutoScaling::ScalableTarget``, ``AWS::ApplicationAutoScaling::ScalingPolicy`` and
``AWS::CloudWatch::Alarm`` are silently skipped by moto's CloudFormation, although moto's Application
Auto Scaling and CloudWatch APIs work. These models create them through those APIs, as
CloudFormation does on AWS, so a deployed stack's targets, policies and alarms can be read back with
``describe_scalable_targets``, ``describe_scaling_policies`` and ``describe_alarms``. The
ScalableTarget's ``Ref`` is ``resource|dimension|namespace``, as on AWS. Imported by the emulator's
conftest before the server starts (moto lists the direct subclasses of ``CloudFormationModel``).
"""

from __future__ import annotations

from moto.applicationautoscaling.models import applicationautoscaling_backends
from moto.cloudwatch.models import Dimension, Metric, MetricDataQuery, MetricStat, cloudwatch_backends
from moto.core.common_models import CloudFormationModel


class EmulatedScalableTarget(CloudFormationModel):
    __module__ = "moto.applicationautoscaling.emulated"  # moto's model registry reads the service

    def __init__(self, resource_id: str, dimension: str, namespace: str) -> None:
        self.resource_id, self.dimension, self.namespace = resource_id, dimension, namespace

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ApplicationAutoScaling::ScalableTarget"

    @property
    def physical_resource_id(self) -> str:
        return f"{self.resource_id}|{self.dimension}|{self.namespace}"

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id,
                                        region_name, **kwargs):
        properties = cloudformation_json["Properties"]
        backend = applicationautoscaling_backends[account_id][region_name]
        backend.register_scalable_target(
            properties["ServiceNamespace"], properties["ResourceId"], properties["ScalableDimension"],
            int(properties["MinCapacity"]), int(properties["MaxCapacity"]),
            properties.get("RoleARN"), properties.get("SuspendedState"))
        # The target's ScheduledActions property, as CloudFormation puts each action on AWS.
        for action in properties.get("ScheduledActions", []):
            bounds = {key: int(value) for key, value in action.get("ScalableTargetAction", {}).items()}
            backend.put_scheduled_action(
                properties["ServiceNamespace"], action["Schedule"], action.get("Timezone"),
                action["ScheduledActionName"], properties["ResourceId"],
                properties["ScalableDimension"], action.get("StartTime"), action.get("EndTime"), bounds)
        return cls(properties["ResourceId"], properties["ScalableDimension"],
                   properties["ServiceNamespace"])

    @classmethod
    def update_from_cloudformation_json(cls, original_resource, new_resource_name, cloudformation_json,
                                        account_id, region_name):
        """New bounds or actions: registered again, as CloudFormation does (the same target)."""
        return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json,
                                                   account_id, region_name)


class EmulatedScalingPolicy(CloudFormationModel):
    __module__ = "moto.applicationautoscaling.emulated"

    def __init__(self, arn: str) -> None:
        self.arn = arn

    @staticmethod
    def cloudformation_name_type() -> str:
        return "PolicyName"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ApplicationAutoScaling::ScalingPolicy"

    @property
    def physical_resource_id(self) -> str:
        return self.arn

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id,
                                        region_name, **kwargs):
        properties = cloudformation_json["Properties"]
        resource_id, dimension, namespace = properties["ScalingTargetId"].split("|")
        step = properties.get("StepScalingPolicyConfiguration")
        body = step or properties.get("TargetTrackingScalingPolicyConfiguration")
        policy = applicationautoscaling_backends[account_id][region_name].put_scaling_policy(
            properties["PolicyName"], namespace, resource_id, dimension, body, properties["PolicyType"])
        return cls(policy.policy_arn)


class EmulatedAlarm(CloudFormationModel):
    __module__ = "moto.cloudwatch.emulated"

    def __init__(self, name: str) -> None:
        self.name = name

    @staticmethod
    def cloudformation_name_type() -> str:
        return "AlarmName"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::CloudWatch::Alarm"

    @property
    def physical_resource_id(self) -> str:
        return self.name

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id,
                                        region_name, **kwargs):
        properties = cloudformation_json["Properties"]
        name = properties.get("AlarmName") or resource_name
        queries = [_query(query) for query in properties.get("Metrics", [])] or None
        cloudwatch_backends[account_id][region_name].put_metric_alarm(
            name=name, namespace=properties.get("Namespace"), metric_name=properties.get("MetricName"),
            comparison_operator=properties["ComparisonOperator"],
            evaluation_periods=int(properties["EvaluationPeriods"]), period=properties.get("Period"),
            threshold=float(properties["Threshold"]), statistic=properties.get("Statistic"),
            description=properties.get("AlarmDescription"), dimensions=[],
            alarm_actions=list(properties.get("AlarmActions", [])), metric_data_queries=queries,
            datapoints_to_alarm=properties.get("DatapointsToAlarm"),
            treat_missing_data=properties.get("TreatMissingData"))
        return cls(name)


def _query(query: dict) -> MetricDataQuery:
    stat = None
    if "MetricStat" in query:
        metric = query["MetricStat"]["Metric"]
        stat = MetricStat(
            metric=Metric(metric_name=metric["MetricName"], namespace=metric["Namespace"],
                          dimensions=[Dimension(name=d["Name"], value=d["Value"])
                                      for d in metric.get("Dimensions", [])]),
            period=query["MetricStat"]["Period"], stat=query["MetricStat"]["Stat"], unit=None)
    return MetricDataQuery(query_id=query["Id"], label=query.get("Label"), period=query.get("Period"),
                           return_data=query.get("ReturnData"), expression=query.get("Expression"),
                           metric_stat=stat)
