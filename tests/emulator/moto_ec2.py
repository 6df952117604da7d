"""Emulator gaps for EC2 nodes: Systems Manager's view of instances, and what Run Command ran.

* ``DescribeInstanceInformation`` is not implemented by moto (HTTP 500). On AWS an Amazon Linux
  2023 instance with ``AmazonSSMManagedInstanceCore`` reports in a minute after boot; here every
  running EC2 instance of the region is reported ``Online`` at once.
* moto's ``SendCommand`` runs nothing and ``GetCommandInvocation`` answers ``Success``, exit 0, no
  output: ``SENT`` records each command's instance and script, so tests can check what ran where.
* moto's CloudFormation makes every ``AWS::ElasticLoadBalancingV2::LoadBalancer`` an application
  load balancer (it drops ``Type``) and then refuses a network load balancer's TCP listener: the
  ``Type`` is passed on, as CloudFormation does.

Imported by the emulator's conftest before the server starts.
"""

from __future__ import annotations

from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.responses import ActionResult
from moto.ec2 import ec2_backends
from moto.ssm import responses as ssm_responses

SENT: list[tuple[str, list[str]]] = []  # (instance id, script lines), in order


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
    return _send_command(self)


ssm_responses.SimpleSystemManagerResponse.describe_instance_information = _describe_instance_information
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
