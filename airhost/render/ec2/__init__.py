"""CloudFormation for an environment with ``target: ec2``: network, data, (access,) compute.

``render_stacks(env, config_hash) -> list[StackTemplate]`` is pure and returns the stacks in deploy
order; the network, data and access stacks are the shared ones (``airhost.render.ecs`` documents
their parameters and outputs), the access load balancer registering instances
(``target_type="instance"``). The compute stack (``{project}-{env}-compute``) is this target's:

compute — launch templates, Auto Scaling groups, the nodes' role, the group settings
    Parameters: ``inputs`` from network: ``SubnetIds`` ← PrivateSubnetIds, ``TaskSecurityGroupId``
      (the nodes' security group: the database admits it, nothing admits SSH), ``VpcId`` (split);
      from data: ``LogsBucket``, ``DagsBucket``, the secret ARNs and ``AdminPasswordSecretArn``;
      from access (alb): ``TargetGroupArn``, ``PublicUrl`` ← access.Url.
      ``WheelhouseArm64`` / ``WheelhouseX8664`` (each architecture the groups use) — the ``s3://``
      prefix of the release's wheelhouse (``requirements.lock`` and its wheels) the nodes install
      Airflow from: ``ec2.wheelhouse`` when set, else built and uploaded by the deploy (and kept
      as deployed by a plan or an operation that updates the stack).
      ``ImageIdArm64`` / ``ImageIdX8664`` — Amazon Linux 2023 from AWS's public SSM parameter.
      ``DesiredCount<Group>`` (Number, template default 0): ``DesiredCountStandalone``, or
      ``DesiredCountApiServer``, ``DesiredCountScheduler``, ``DesiredCountDagProcessor``,
      ``DesiredCountTriggerer``, with Celery ``DesiredCountWorker`` and ``DesiredCountWorker<Queue>``:
      the stack's ``counts``, held at 0 until the first migration, like ECS's.
    Outputs: ``LogGroupName`` (streams ``<component>/<instance id>``), ``InstanceRoleArn``,
      ``Groups`` (``group=AutoScalingGroupName,...``), ``GroupComponents``
      (``group=component,component;...``), ``UtilsGroup`` (the group whose node runs one-off
      commands through SSM Run Command), ``Wheelhouses`` (comma-joined), ``ApiUrl`` (split: the
      internal load balancer).

The node itself — settings document, systemd units, user data, the ``airhost-node`` script — is
``airhost.render.ec2.node``.
"""

from __future__ import annotations

from airhost.config.models import Environment
from airhost.render.access import render_access
from airhost.render.data import render_data
from airhost.render.network import NetworkNeeds, render_network
from airhost.render.stacks import StackTemplate

__all__ = ["network_needs", "render_stacks"]


def network_needs(env: Environment) -> NetworkNeeds:
    """Without a NAT gateway, the nodes need Session Manager's and Run Command's endpoints, the
    CloudFormation endpoint (cfn-hup), the Auto Scaling one (draining workers) and CloudWatch."""
    endpoints = ["ssmmessages", "ec2messages", "cloudformation", "monitoring"]
    if env.airflow.executor == "celery":
        endpoints.append("autoscaling")
    return NetworkNeeds(endpoints=tuple(endpoints))


def render_stacks(env: Environment, config_hash: str) -> list[StackTemplate]:
    """The CloudFormation stacks of an EC2 environment, in deploy order."""
    from airhost.render.ec2.compute import render_compute

    stacks = [render_network(env, config_hash, network_needs(env)), render_data(env, config_hash)]
    if env.access.mode == "alb":
        stacks.append(render_access(env, config_hash, target_type="instance"))
    stacks.append(render_compute(env, config_hash))
    return stacks
