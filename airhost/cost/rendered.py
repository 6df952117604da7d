"""What the environment's templates really create, counted from the rendered stacks.

The network and access stacks decide how many NAT gateways, interface endpoints, public addresses
and load balancers there are; counting them in the templates (rendering is pure and takes
milliseconds) keeps the estimate true when those templates change.
"""

from __future__ import annotations

from dataclasses import dataclass

from airhost.config.models import Environment
from airhost.render.ecs import render_stacks
from airhost.render.network import ZONES
from airhost.render.stacks import StackTemplate

CONFIG_HASH = "cost-estimate"  # stamped in the templates' metadata; irrelevant to counting


@dataclass(frozen=True)
class Rendered:
    nat_gateways: int
    nat_addresses: int  # Elastic IPs (public IPv4, billed hourly)
    interface_endpoints: int  # endpoint × availability zone: each is billed per hour
    endpoint_services: int
    load_balancers: int
    load_balancer_addresses: int  # an internet-facing ALB holds a public IPv4 per zone
    secrets: int
    queues: int
    instance_root_gib: int
    new_vpc: bool
    nat_instance_type: str | None = None  # the NAT instance's launch template (egress nat-instance)
    nat_instance_root_gib: int = 0
    network_load_balancers: int = 0  # of load_balancers: internal NLBs (EC2's split topology)


def _subnet_count(value: object) -> int:
    return len(value) if isinstance(value, list) else len(ZONES)


def rendered_facts(env: Environment, stacks: list[StackTemplate] | None = None) -> Rendered:
    """Counted in ``stacks`` (the environment's target's), or in its ECS stacks when not given."""
    resources: list[dict] = []
    network: dict[str, dict] = {}  # the network stack's resources by name (the NAT instance's)
    for stack in stacks if stacks is not None else render_stacks(env, CONFIG_HASH):
        resources.extend(stack.template.get("Resources", {}).values())
        if stack.layer == "network":
            network = dict(stack.template.get("Resources", {}))

    def of(kind: str) -> list[dict]:
        return [r for r in resources if r.get("Type") == kind]

    interface = [r for r in of("AWS::EC2::VPCEndpoint")
                 if r.get("Properties", {}).get("VpcEndpointType") == "Interface"]
    balancers = of("AWS::ElasticLoadBalancingV2::LoadBalancer")
    public = [b for b in balancers if b.get("Properties", {}).get("Scheme", "internet-facing")
              == "internet-facing"]
    root_gib = 0
    for provider in of("AWS::ECS::CapacityProvider"):
        template = provider["Properties"].get("ManagedInstancesProvider", {}).get("InstanceLaunchTemplate", {})
        root_gib = int(template.get("StorageConfiguration", {}).get("StorageSizeGiB", 0))
    nat_type, nat_root = None, 0
    for group in (r for r in network.values() if r.get("Type") == "AWS::AutoScaling::AutoScalingGroup"):
        template_id = group["Properties"]["LaunchTemplate"]["LaunchTemplateId"]
        data = next(r for name, r in network.items() if template_id == {"Ref": name})["Properties"]
        nat_type = data["LaunchTemplateData"]["InstanceType"]
        nat_root = sum(int(m["Ebs"]["VolumeSize"]) for m in data["LaunchTemplateData"]["BlockDeviceMappings"])
    return Rendered(
        nat_gateways=len(of("AWS::EC2::NatGateway")),
        nat_addresses=len(of("AWS::EC2::EIP")),
        interface_endpoints=sum(_subnet_count(r["Properties"].get("SubnetIds")) for r in interface),
        endpoint_services=len(interface),
        load_balancers=len(balancers),
        load_balancer_addresses=sum(_subnet_count(b["Properties"].get("Subnets")) for b in public),
        secrets=len(of("AWS::SecretsManager::Secret")),
        queues=len(of("AWS::SQS::Queue")),
        instance_root_gib=root_gib,
        new_vpc=bool(of("AWS::EC2::VPC")),
        nat_instance_type=nat_type,
        nat_instance_root_gib=nat_root,
        network_load_balancers=sum(1 for b in balancers
                                   if b.get("Properties", {}).get("Type") == "network"),
    )
