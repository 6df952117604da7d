"""How a new VPC's private subnets reach the internet: a NAT instance or a NAT gateway, parkable.

``network.egress`` chooses. ``nat-gateway`` is AWS's managed gateway (an Elastic IP and an hourly
floor). ``nat-instance`` is one small Graviton instance in an Auto Scaling group of one, launched
from a template (the latest Amazon Linux 2023, IMDSv2 only, an encrypted root volume, no key pair,
nothing inbound but the tasks' own traffic). The private route table points at a network interface
made by the stack, not at an instance: a replaced instance attaches that same interface at boot,
so the route never changes and CloudFormation keeps owning it. ``endpoints`` has no NAT at all
(``airhost.render.network`` adds the VPC endpoints).

The stack's ``Egress`` parameter parks what bills by the hour: ``parked`` removes the NAT gateway,
its address and its route, or takes the NAT instance's group to zero; ``running`` (the default, so
any deploy brings egress back) restores them. ``airhost scale --to-zero`` and ``--resume`` set it.
"""

from __future__ import annotations

from airhost.config.models import Environment
from airhost.config.schedule import recurrence_edges
from airhost.render.common import (
    ACCOUNT, PARTITION, REGION, Json, Template, allow, assume_role, get_att, if_, policy_document,
    prefix, ref, sub, tags)

EGRESS_PARAMETER = "Egress"
RUNNING, PARKED = "running", "parked"
EGRESS_RUNNING = "EgressRunning"
# The latest Amazon Linux 2023 for arm64, resolved by CloudFormation at each deploy: a deploy after
# a new release replaces the NAT instance with a patched one.
NAT_IMAGE = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64"
NAT_ROOT_GIB = 8
NAT_TAG = "airhost:nat"
# On a schedule, the NAT instance wakes this long before the services and sleeps this long after.
NAT_LEAD_MINUTES = 10

# Boot script of the NAT instance: attach the stack's interface (the private routes' target) as a
# second device, turn forwarding on, masquerade out of the primary interface.
NAT_USER_DATA = """#!/bin/bash
set -euo pipefail
dnf install -y -q iptables-nft
token=$(curl -sf -X PUT http://169.254.169.254/latest/api/token \\
  -H 'X-aws-ec2-metadata-token-ttl-seconds: 300')
instance=$(curl -sf -H "X-aws-ec2-metadata-token: $token" \\
  http://169.254.169.254/latest/meta-data/instance-id)
primary=$(ip route show default | awk '{print $5; exit}')
# forwarded replies leave through the primary interface with the tasks' addresses
aws ec2 modify-instance-attribute --region ${AWS::Region} --instance-id "$instance" --no-source-dest-check
aws ec2 attach-network-interface --region ${AWS::Region} --instance-id "$instance" \\
  --network-interface-id ${NatInterface} --device-index 1
for _ in $(seq 90); do
  second=$(ip -o link show | awk -F': ' '{print $2}' | grep -v -e '^lo$' -e "^$primary$" | head -n 1)
  [ -n "$second" ] && break
  sleep 2
done
cat > /etc/sysctl.d/90-airhost-nat.conf <<EOF
net.ipv4.ip_forward = 1
net.ipv4.conf.all.rp_filter = 0
net.ipv4.conf.default.rp_filter = 0
net.ipv4.conf.$second.rp_filter = 0
EOF
sysctl -q --system
ip route del default dev "$second" 2>/dev/null || true
iptables -t nat -A POSTROUTING -o "$primary" -j MASQUERADE
iptables -A FORWARD -i "$second" -o "$primary" -j ACCEPT
iptables -A FORWARD -i "$primary" -o "$second" -m state --state RELATED,ESTABLISHED -j ACCEPT
"""


def egress_parameter(template: Template) -> None:
    """The ``Egress`` parameter and the condition every hourly egress resource carries."""
    template.parameter(EGRESS_PARAMETER, "String",
                       "running, or parked while nothing runs (airhost scale --to-zero)",
                       Default=RUNNING, AllowedValues=[RUNNING, PARKED])
    template.conditions[EGRESS_RUNNING] = {"Fn::Equals": [ref(EGRESS_PARAMETER), RUNNING]}


def nat_gateway(template: Template, env: Environment, private_routes: Json) -> None:
    name = prefix(env)
    template.add("NatAddress", "AWS::EC2::EIP", "the NAT gateway's public address",
                 {"Domain": "vpc", "Tags": tags(Name=f"{name}-nat")},
                 DependsOn="InternetGatewayAttachment", Condition=EGRESS_RUNNING)
    # One NAT gateway, not one per AZ: an AZ outage stops egress, but costs half as much.
    nat = template.add("NatGateway", "AWS::EC2::NatGateway",
                       "outbound internet for the private subnets (image pulls, AWS APIs)", {
                           "AllocationId": get_att("NatAddress", "AllocationId"),
                           "SubnetId": ref("PublicSubnetA"),
                           "Tags": tags(Name=f"{name}-nat")}, Condition=EGRESS_RUNNING)
    template.add("PrivateDefaultRoute", "AWS::EC2::Route",
                 "private subnets reach the internet through the NAT gateway",
                 {"RouteTableId": private_routes, "DestinationCidrBlock": "0.0.0.0/0",
                  "NatGatewayId": nat}, Condition=EGRESS_RUNNING)


def nat_instance(template: Template, env: Environment, vpc: Json, private_routes: Json) -> None:
    name = prefix(env)
    template.parameter("NatImage", "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>",
                       "the NAT instance's image: the latest Amazon Linux 2023 for arm64",
                       Default=NAT_IMAGE)
    group = template.add("NatSecurityGroup", "AWS::EC2::SecurityGroup",
                         "the NAT instance: the tasks' outbound traffic in, nothing from the internet", {
                             "GroupDescription": f"NAT instance of {name}", "VpcId": vpc,
                             "SecurityGroupIngress": [{
                                 "SourceSecurityGroupId": ref("TaskSecurityGroup"), "IpProtocol": "-1",
                                 "Description": "outbound traffic of the Airflow tasks"}],
                             "SecurityGroupEgress": [{"CidrIp": "0.0.0.0/0", "IpProtocol": "-1",
                                                      "Description": "the tasks' traffic to the internet"}],
                             "Tags": tags(Name=f"{name}-nat")})
    interface = template.add("NatInterface", "AWS::EC2::NetworkInterface",
                             "the private routes' target, attached by whichever NAT instance runs", {
                                 "SubnetId": ref("PublicSubnetA"), "GroupSet": [group],
                                 "SourceDestCheck": False,
                                 "Description": f"NAT of {name}: the private subnets' default route",
                                 "Tags": tags(Name=f"{name}-nat", **{NAT_TAG: name})})
    template.add("PrivateDefaultRoute", "AWS::EC2::Route",
                 "private subnets reach the internet through the NAT instance's interface",
                 {"RouteTableId": private_routes, "DestinationCidrBlock": "0.0.0.0/0",
                  "NetworkInterfaceId": interface})
    instance_arn = sub(f"arn:{PARTITION}:ec2:{REGION}:{ACCOUNT}:instance/*")
    template.add("NatRole", "AWS::IAM::Role", "the NAT instance attaches its interface at boot", {
        "AssumeRolePolicyDocument": assume_role("ec2.amazonaws.com"),
        "Policies": [{"PolicyName": "attach-nat-interface", "PolicyDocument": policy_document(
            allow(["ec2:AttachNetworkInterface"],
                  sub(f"arn:{PARTITION}:ec2:{REGION}:{ACCOUNT}:network-interface/${{NatInterface}}"),
                  "AttachTheNatInterface"),
            allow(["ec2:AttachNetworkInterface", "ec2:ModifyInstanceAttribute"], instance_arn,
                  "OnlyTheNatInstance", StringEquals={f"aws:ResourceTag/{NAT_TAG}": name}))}]})
    template.add("NatInstanceProfile", "AWS::IAM::InstanceProfile", "instance profile of the NAT instance",
                 {"Roles": [ref("NatRole")]})
    launch = template.add("NatLaunchTemplate", "AWS::EC2::LaunchTemplate", "how a NAT instance starts", {
        "LaunchTemplateData": {
            "ImageId": ref("NatImage"), "InstanceType": env.network.nat_instance_type,
            "IamInstanceProfile": {"Arn": get_att("NatInstanceProfile", "Arn")},
            "MetadataOptions": {"HttpEndpoint": "enabled", "HttpTokens": "required",
                                "HttpPutResponseHopLimit": 1},
            "BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": {
                "VolumeSize": NAT_ROOT_GIB, "VolumeType": "gp3", "Encrypted": True,
                "DeleteOnTermination": True}}],
            # A public address of its own (billed only while the instance runs), no Elastic IP.
            "NetworkInterfaces": [{"DeviceIndex": 0, "AssociatePublicIpAddress": True,
                                   "Groups": [group], "DeleteOnTermination": True}],
            "TagSpecifications": [
                {"ResourceType": kind, "Tags": tags(Name=f"{name}-nat", **{NAT_TAG: name})}
                for kind in ("instance", "volume")],
            "UserData": {"Fn::Base64": sub(NAT_USER_DATA)},
        },
        "TagSpecifications": [{"ResourceType": "launch-template", "Tags": tags(Name=f"{name}-nat")}]})
    size = if_(EGRESS_RUNNING, "1", "0")
    # The interface lives in zone A, so the group does too; a failed instance is replaced there.
    # A new image replaces the instance: the old one first, since only one can hold the interface.
    template.add("NatGroup", "AWS::AutoScaling::AutoScalingGroup",
                 "one NAT instance, replaced when it fails; zero while parked", {
                     "MinSize": size, "MaxSize": size, "DesiredCapacity": size,
                     "VPCZoneIdentifier": [ref("PublicSubnetA")],
                     "LaunchTemplate": {"LaunchTemplateId": launch,
                                        "Version": get_att("NatLaunchTemplate", "LatestVersionNumber")},
                     "HealthCheckType": "EC2",
                     "Tags": [{"Key": "Name", "Value": f"{name}-nat", "PropagateAtLaunch": True}]},
                 DependsOn=["InternetGatewayAttachment", "PrivateDefaultRoute"],
                 UpdatePolicy={"AutoScalingRollingUpdate": {"MinInstancesInService": 0,
                                                            "MaxBatchSize": 1},
                               # a deploy leaves the size the schedule (or a park) set alone
                               "AutoScalingScheduledAction": {"IgnoreUnmodifiedGroupSizeProperties": True}})
    template.output("NatGroupName", ref("NatGroup"), "the NAT instance's Auto Scaling group")
    _nat_schedule(template, env)


def _nat_schedule(template: Template, env: Environment) -> None:
    """The NAT instance sleeps with the services: it wakes ``NAT_LEAD_MINUTES`` before them (images,
    secrets and logs need the way out as a task starts) and sleeps as long after."""
    if env.schedule is None:
        return
    edges = recurrence_edges(env.schedule, before=NAT_LEAD_MINUTES, after=NAT_LEAD_MINUTES)
    for number, (recurrence, wakes) in enumerate(edges, start=1):
        size = 1 if wakes else 0
        word = "wakes" if wakes else "sleeps"
        template.add(f"Nat{'Wake' if wakes else 'Sleep'}{number}", "AWS::AutoScaling::ScheduledAction",
                     f"the NAT instance {word} with the schedule ({recurrence}, {env.schedule.timezone})", {
                         "AutoScalingGroupName": ref("NatGroup"), "Recurrence": recurrence,
                         "TimeZone": env.schedule.timezone,
                         "MinSize": size, "MaxSize": size, "DesiredCapacity": size})
