"""Emulator gaps for EC2 nodes: Systems Manager's view of instances, and what Run Command ran.

* ``DescribeInstanceInformation`` is not implemented by moto (HTTP 500). On AWS an Amazon Linux
  2023 instance with ``AmazonSSMManagedInstanceCore`` reports in a minute after boot; here every
  running EC2 instance of the region is reported ``Online`` at once.
* moto's ``SendCommand`` runs nothing and ``GetCommandInvocation`` answers ``Success``, exit 0, no
  output: ``SENT`` records each command's instance and script, so tests can check what ran where,
  and ``SCRIPTED`` (a text in the script → exit code and output) makes a command end as a node
  would report it: its output, and ``Failed`` with its exit code when that is not 0;
  ``MEANWHILE`` (a text in the script → a call) is what happens in the account as it is sent.
* moto's CloudFormation makes every ``AWS::ElasticLoadBalancingV2::LoadBalancer`` an application
  load balancer (it drops ``Type``) and then refuses a network load balancer's TCP listener: the
  ``Type`` is passed on, as CloudFormation does.

Imported by the emulator's conftest before the server starts.
"""

from __future__ import annotations

from collections.abc import Callable

from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.responses import ActionResult
from moto.ec2 import ec2_backends
from moto.ssm import responses as ssm_responses

SENT: list[tuple[str, list[str]]] = []  # (instance id, script lines), in order
SCRIPTED: dict[str, tuple[int, str]] = {}  # text in a script → (exit code, output)
MEANWHILE: dict[str, Callable[[], None]] = {}  # text in a script → what happens as it is sent


def _describe_instance_information(self) -> ActionResult:
    wanted: set[str] = set()
    for item in self._get_param("Filters") or []:
        if item.get("Key") == "InstanceIds":
            wanted.update(item.get("Values", []))
    backend = ec2_backends[DEFAULT_ACCOUNT_ID][self.region]
    found = []
    for reservation in backend.all_reservations():
        for instance in reservation.instances:
            if instance.state == "running" and (not wanted or instance.id in wanted):
                found.append({"InstanceId": instance.id, "PingStatus": "Online",
                              "PlatformType": "Linux", "PlatformName": "Amazon Linux",
                              "ResourceType": "EC2Instance"})
    return ActionResult({"InstanceInformationList": found})


_send_command = ssm_responses.SimpleSystemManagerResponse.send_command


def _recording_send_command(self) -> ActionResult:
    parameters = self._get_param("Parameters") or {}
    for instance in self._get_param("InstanceIds") or []:
        SENT.append((instance, list(parameters.get("commands", []))))
    script = "\n".join(parameters.get("commands", []))
    for text, meanwhile in MEANWHILE.items():
        if text in script:
            meanwhile()
    return _send_command(self)


_get_command_invocation = ssm_responses.SimpleSystemManagerResponse.get_command_invocation


def _scripted_command_invocation(self) -> ActionResult:
    result = _get_command_invocation(self)
    command = self.ssm_backend.get_command_by_id(self._get_param("CommandId"))
    script = "\n".join((command.parameters or {}).get("commands", []))
    for text, (code, output) in SCRIPTED.items():
        if text in script and code:
            result.result.update({"Status": "Failed", "StatusDetails": "Failed",
                                  "ResponseCode": code, "StandardOutputContent": output})
        elif text in script:
            result.result.update({"StandardOutputContent": output})
    return result


ssm_responses.SimpleSystemManagerResponse.describe_instance_information = _describe_instance_information
ssm_responses.SimpleSystemManagerResponse.get_command_invocation = _scripted_command_invocation
ssm_responses.SimpleSystemManagerResponse.send_command = _recording_send_command


# * moto's CloudFormation creates every AWS::ElasticLoadBalancingV2::LoadBalancer as an application
#   load balancer (it drops ``Type``), so the TCP listener of a network load balancer is refused:
#   the ``Type`` is passed on, as CloudFormation does.
def _load_balancer_from_cloudformation(cls, resource_name, cloudformation_json, account_id,
                                       region_name, **kwargs):
    from moto.elbv2.models import elbv2_backends

    properties = cloudformation_json["Properties"]
    return elbv2_backends[account_id][region_name].create_load_balancer(
        resource_name, properties.get("SecurityGroups"), properties.get("Subnets"),
        scheme=properties.get("Scheme", "internet-facing"),
        loadbalancer_type=properties.get("Type", "application"))


def _patch_load_balancer_type() -> None:
    from moto.elbv2.models import FakeLoadBalancer

    FakeLoadBalancer.create_from_cloudformation_json = classmethod(_load_balancer_from_cloudformation)


_patch_load_balancer_type()


# * moto's CloudFormation replaces an AWS::AutoScaling::AutoScalingGroup on every update (delete,
#   then create), and a later update of the same stack then finds no group to delete. CloudFormation
#   updates a group in place (its capacities, its launch template version, rolled out by the
#   update policy): the group is updated in place here too.
def _group_updated_in_place(cls, original_resource, new_resource_name, cloudformation_json,
                            account_id, region_name):
    from moto.autoscaling.models import autoscaling_backends

    backend = autoscaling_backends[account_id][region_name]
    if original_resource.name not in backend.autoscaling_groups:
        return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json,
                                                   account_id, region_name)
    properties = cloudformation_json["Properties"]
    zones = properties.get("VPCZoneIdentifier") or []

    def number(key):
        return int(properties[key]) if properties.get(key) is not None else None

    return backend.update_auto_scaling_group(
        name=original_resource.name, availability_zones=original_resource.availability_zones,
        desired_capacity=number("DesiredCapacity"), max_size=number("MaxSize"),
        min_size=number("MinSize"), launch_config_name=None,
        launch_template=properties.get("LaunchTemplate", {}),
        vpc_zone_identifier=",".join(zones),
        health_check_period=number("HealthCheckGracePeriod"),
        health_check_type=properties.get("HealthCheckType", "EC2"))


def _patch_group_update() -> None:
    from moto.autoscaling.models import FakeAutoScalingGroup

    FakeAutoScalingGroup.update_from_cloudformation_json = classmethod(_group_updated_in_place)


_patch_group_update()


# * moto describes a List-typed stack parameter (List<AWS::EC2::Subnet::Id>) as the Python text of
#   its list ("['subnet-a', 'subnet-b']"); CloudFormation describes it as given, comma-joined, so a
#   stack updated again with its described parameters (an upgrade's rollback) gets the same subnets.
def _patch_list_parameters() -> None:
    from moto.cloudformation.models import Stack

    described = Stack.parameter_list.fget

    def parameter_list(self):
        return [{**item, "ParameterValue": ",".join(item["ParameterValue"])}
                if isinstance(item["ParameterValue"], list) else item for item in described(self)]

    Stack.parameter_list = property(parameter_list)


_patch_list_parameters()


# * moto's CloudFormation creates an AWS::AutoScaling::ScheduledAction but never updates it: a
#   stack update that changes its capacities (the counts a first deploy held at 0, then started)
#   leaves the old ones. CloudFormation updates the action: it is put again here, under its name.
def _scheduled_action_updated(cls, original_resource, new_resource_name, cloudformation_json,
                              account_id, region_name):
    from moto.autoscaling.models import autoscaling_backends

    properties = cloudformation_json["Properties"]
    return autoscaling_backends[account_id][region_name].put_scheduled_update_group_action(
        name=properties.get("AutoScalingGroupName"),
        desired_capacity=properties.get("DesiredCapacity"), max_size=properties.get("MaxSize"),
        min_size=properties.get("MinSize"),
        scheduled_action_name=original_resource.scheduled_action_name,
        start_time=properties.get("StartTime"), end_time=properties.get("EndTime"),
        recurrence=properties.get("Recurrence"), timezone=properties.get("TimeZone"))


def _patch_scheduled_action_update() -> None:
    from moto.autoscaling.models import FakeScheduledAction

    FakeScheduledAction.update_from_cloudformation_json = classmethod(_scheduled_action_updated)


_patch_scheduled_action_update()
