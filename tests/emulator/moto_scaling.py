"""An emulator gap: moto's CloudFormation skips Application Auto Scaling resources.

``AWS::ApplicationAutoScaling::ScalableTarget`` and ``AWS::ApplicationAutoScaling::ScalingPolicy`` are
silently skipped by moto's CloudFormation, although moto's Application Auto Scaling API works. These
models create them through that API, as CloudFormation does on AWS, so a deployed stack's targets and
policies can be read back with ``describe_scalable_targets`` and ``describe_scaling_policies``. The
ScalableTarget's ``Ref`` is ``resource|dimension|namespace``, as on AWS. Imported by the emulator's
conftest before the server starts (moto lists the direct subclasses of ``CloudFormationModel``).
"""

from __future__ import annotations

from moto.applicationautoscaling.models import applicationautoscaling_backends
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
        applicationautoscaling_backends[account_id][region_name].register_scalable_target(
            properties["ServiceNamespace"], properties["ResourceId"], properties["ScalableDimension"],
            int(properties["MinCapacity"]), int(properties["MaxCapacity"]),
            properties.get("RoleARN"), properties.get("SuspendedState"))
        return cls(properties["ResourceId"], properties["ScalableDimension"],
                   properties["ServiceNamespace"])


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
