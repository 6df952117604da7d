"""The network stack: a VPC in two AZs (or an existing one) and the security groups between layers.

A new VPC has two private subnets (tasks, database) and, when something needs them, two public ones
(the NAT, the load balancer). Egress goes through a NAT instance or a NAT gateway
(``airhost.render.egress``), or, with ``egress: endpoints``, through VPC endpoints only. The database's security group admits PostgreSQL from Airflow's tasks
(and an optional admin group) and nothing else; nothing admits the internet unless access is ``alb``.

The stack is the same for every cloud target; what differs comes from the target as
``NetworkNeeds``: the AWS services its compute must reach through interface endpoints when there
is no NAT (ECS Managed Instances need the ECS agent's endpoints, EKS nodes the cluster's).
"""

from __future__ import annotations

import ipaddress

from dataclasses import dataclass

from airhost.config.models import Environment
from airhost.render.common import Json, Template, get_att, join, prefix, ref, sub, tags
from airhost.render.egress import egress_parameter, nat_gateway, nat_instance
from airhost.render.stacks import StackTemplate

API_PORT = 8080

# The Tailscale sidecar beside the API server (ECS task, Kubernetes pod): its serve configuration
# (HTTPS on the tailnet, proxied to the API server) is written from an environment variable by the
# container itself before containerboot starts.
TAILSCALE_BOOT = ('mkdir -p /tmp/tailscale && printf "%s" "$AIRHOST_SERVE_CONFIG" > '
                  "/tmp/tailscale/serve.json && exec /usr/local/bin/containerboot")


def tailscale_serve() -> dict:
    return {"TCP": {"443": {"HTTPS": True}},
            "Web": {"${TS_CERT_DOMAIN}:443": {"Handlers": {"/": {"Proxy": f"http://127.0.0.1:{API_PORT}"}}}}}
DATABASE_PORT = 5432
ZONES = (0, 1)

# CDK's way of saying "no egress at all": a rule no packet can match, replacing the default allow-all.
NO_EGRESS = [{"CidrIp": "255.255.255.255/32", "Description": "no outbound traffic",
              "IpProtocol": "icmp", "FromPort": 252, "ToPort": 86}]


def subnet_cidrs(vpc_cidr: str) -> tuple[list[str], list[str]]:
    """Private subnets take a quarter of the VPC each; public ones an eighth (they hold little)."""
    network = ipaddress.ip_network(vpc_cidr)
    quarters = list(network.subnets(prefixlen_diff=2))
    public = list(quarters[2].subnets(prefixlen_diff=1))
    return [str(quarters[0]), str(quarters[1])], [str(public[0]), str(public[1])]


# What every Airflow deployment reaches without a NAT gateway: images, logs, secrets, settings.
BASE_ENDPOINTS = ("ecr.api", "ecr.dkr", "logs", "secretsmanager", "ssm")


@dataclass(frozen=True)
class NetworkNeeds:
    """What the target's compute needs of the network stack."""

    endpoints: tuple[str, ...] = ()  # interface endpoints beyond BASE_ENDPOINTS (egress: endpoints)


def interface_endpoints(env: Environment, needs: NetworkNeeds) -> list[str]:
    """AWS services the compute must reach when there is no NAT gateway."""
    services = [*BASE_ENDPOINTS, *needs.endpoints]
    if env.airflow.executor == "celery" and env.celery.broker == "sqs":
        services.append("sqs")
    return sorted(set(services))


def needs_public_subnets(env: Environment) -> bool:
    return env.network.egress != "endpoints" or env.access.mode == "alb"


def parks_egress(env: Environment) -> bool:
    """Whether the network stack has hourly egress to park (a new VPC with a NAT)."""
    return not env.network.vpc_id and env.network.egress != "endpoints"


def render_network(env: Environment, config_hash: str,
                   needs: NetworkNeeds = NetworkNeeds()) -> StackTemplate:
    template = Template(env, "network", "VPC, subnets and security groups")
    parameters: dict[str, str] = {}
    if env.network.vpc_id:
        vpc, vpc_cidr = _existing_vpc(template, env, parameters)
    else:
        vpc, vpc_cidr = _new_vpc(template, env)
    _security_groups(template, env, vpc)
    if parks_egress(env):
        egress_parameter(template)
    if not env.network.vpc_id:
        # Free, and it keeps ECR's image layers, logs and DAG bundles off the NAT.
        template.add("S3Endpoint", "AWS::EC2::VPCEndpoint",
                     "S3 from the private subnets without the NAT: image layers, logs, DAG bundles", {
                         "VpcId": vpc, "ServiceName": sub("com.amazonaws.${AWS::Region}.s3"),
                         "VpcEndpointType": "Gateway", "RouteTableIds": [ref("PrivateRouteTable")]})
    if not env.network.vpc_id and env.network.egress == "endpoints":
        _endpoints(template, env, vpc, vpc_cidr, needs)
    template.output("VpcId", vpc, "the VPC")
    return template.stack(config_hash, parameters=parameters)


def _existing_vpc(template: Template, env: Environment, parameters: dict[str, str]) -> tuple[Json, None]:
    network = env.network
    vpc = template.parameter("VpcId", "AWS::EC2::VPC::Id", "the existing VPC (network.vpc_id)")
    template.parameter("PrivateSubnetIds", "List<AWS::EC2::Subnet::Id>",
                       "existing private subnets in two AZs (network.private_subnet_ids)")
    parameters["VpcId"] = network.vpc_id or ""
    parameters["PrivateSubnetIds"] = ",".join(network.private_subnet_ids)
    template.output("PrivateSubnetIds", join(",", ref("PrivateSubnetIds")),
                    "private subnets for tasks and the database, comma-joined")
    if network.public_subnet_ids:
        template.parameter("PublicSubnetIds", "List<AWS::EC2::Subnet::Id>",
                           "existing public subnets (network.public_subnet_ids)")
        parameters["PublicSubnetIds"] = ",".join(network.public_subnet_ids)
        template.output("PublicSubnetIds", join(",", ref("PublicSubnetIds")),
                        "public subnets for the load balancer, comma-joined")
    return vpc, None


def _new_vpc(template: Template, env: Environment) -> tuple[Json, Json]:
    name = prefix(env)
    vpc = template.add("Vpc", "AWS::EC2::VPC", "the environment's own VPC", {
        "CidrBlock": env.network.cidr, "EnableDnsHostnames": True, "EnableDnsSupport": True,
        "Tags": tags(Name=name)})
    private_cidrs, public_cidrs = subnet_cidrs(env.network.cidr)
    private_routes = template.add("PrivateRouteTable", "AWS::EC2::RouteTable",
                                  "routes of the private subnets",
                                  {"VpcId": vpc, "Tags": tags(Name=f"{name}-private")})
    for zone in ZONES:
        letter = "AB"[zone]
        subnet = template.add(f"PrivateSubnet{letter}", "AWS::EC2::Subnet",
                              f"private subnet in AZ {zone + 1}: Airflow tasks and the database", {
                                  "VpcId": vpc, "CidrBlock": private_cidrs[zone],
                                  "AvailabilityZone": _zone(zone), "MapPublicIpOnLaunch": False,
                                  "Tags": tags(Name=f"{name}-private-{zone + 1}")})
        template.add(f"PrivateSubnet{letter}Routes", "AWS::EC2::SubnetRouteTableAssociation",
                     f"private subnet {letter} uses the private routes",
                     {"SubnetId": subnet, "RouteTableId": private_routes})
    template.output("PrivateSubnetIds", join(",", [ref("PrivateSubnetA"), ref("PrivateSubnetB")]),
                    "private subnets for tasks and the database, comma-joined")
    if needs_public_subnets(env):
        _public_subnets(template, env, vpc, public_cidrs)
    if env.network.egress == "nat-gateway":
        nat_gateway(template, env, private_routes)
    elif env.network.egress == "nat-instance":
        nat_instance(template, env, vpc, private_routes)
    return vpc, get_att("Vpc", "CidrBlock")


def _public_subnets(template: Template, env: Environment, vpc: Json, cidrs: list[str]) -> None:
    name = prefix(env)
    gateway = template.add("InternetGateway", "AWS::EC2::InternetGateway",
                           "the VPC's internet gateway (NAT and load balancer traffic)",
                           {"Tags": tags(Name=name)})
    template.add("InternetGatewayAttachment", "AWS::EC2::VPCGatewayAttachment",
                 "attaches the internet gateway to the VPC", {"VpcId": vpc, "InternetGatewayId": gateway})
    routes = template.add("PublicRouteTable", "AWS::EC2::RouteTable", "routes of the public subnets",
                          {"VpcId": vpc, "Tags": tags(Name=f"{name}-public")})
    template.add("PublicDefaultRoute", "AWS::EC2::Route", "public subnets reach the internet directly",
                 {"RouteTableId": routes, "DestinationCidrBlock": "0.0.0.0/0", "GatewayId": gateway},
                 DependsOn="InternetGatewayAttachment")
    for zone in ZONES:
        letter = "AB"[zone]
        subnet = template.add(f"PublicSubnet{letter}", "AWS::EC2::Subnet",
                              f"public subnet in AZ {zone + 1}: NAT and load balancer only", {
                                  "VpcId": vpc, "CidrBlock": cidrs[zone], "AvailabilityZone": _zone(zone),
                                  "MapPublicIpOnLaunch": False,
                                  "Tags": tags(Name=f"{name}-public-{zone + 1}")})
        template.add(f"PublicSubnet{letter}Routes", "AWS::EC2::SubnetRouteTableAssociation",
                     f"public subnet {letter} uses the public routes",
                     {"SubnetId": subnet, "RouteTableId": routes})
    template.output("PublicSubnetIds", join(",", [ref("PublicSubnetA"), ref("PublicSubnetB")]),
                    "public subnets for the load balancer, comma-joined")


def _zone(index: int) -> Json:
    return {"Fn::Select": [index, {"Fn::GetAZs": ""}]}


def _security_groups(template: Template, env: Environment, vpc: Json) -> None:
    name = prefix(env)
    tasks = template.add("TaskSecurityGroup", "AWS::EC2::SecurityGroup", "every Airflow task", {
        "GroupDescription": f"Airflow tasks of {name}", "VpcId": vpc,
        "SecurityGroupEgress": [{"CidrIp": "0.0.0.0/0", "IpProtocol": "-1",
                                 "Description": "image pulls, AWS APIs, DAG sources and the database"}],
        "Tags": tags(Name=f"{name}-tasks")})
    template.add("TaskSecurityGroupApiIngress", "AWS::EC2::SecurityGroupIngress",
                 "components reach the API server (task execution API) inside the group", {
                     "GroupId": tasks, "SourceSecurityGroupId": tasks, "IpProtocol": "tcp",
                     "FromPort": API_PORT, "ToPort": API_PORT,
                     "Description": "Airflow components to the API server"})
    database = template.add("DatabaseSecurityGroup", "AWS::EC2::SecurityGroup",
                            "the metadata database: PostgreSQL from Airflow's tasks only", {
                                "GroupDescription": f"Airflow metadata database of {name}", "VpcId": vpc,
                                "SecurityGroupEgress": NO_EGRESS,
                                "Tags": tags(Name=f"{name}-database")})
    template.add("DatabaseIngressFromTasks", "AWS::EC2::SecurityGroupIngress",
                 "Airflow's tasks reach PostgreSQL", {
                     "GroupId": database, "SourceSecurityGroupId": tasks, "IpProtocol": "tcp",
                     "FromPort": DATABASE_PORT, "ToPort": DATABASE_PORT,
                     "Description": "PostgreSQL from Airflow tasks"})
    if env.database.admin_security_group:
        template.add("DatabaseIngressFromAdmins", "AWS::EC2::SecurityGroupIngress",
                     "the named admin security group reaches PostgreSQL (maintenance)", {
                         "GroupId": database, "SourceSecurityGroupId": env.database.admin_security_group,
                         "IpProtocol": "tcp", "FromPort": DATABASE_PORT, "ToPort": DATABASE_PORT,
                         "Description": "PostgreSQL from the admin security group"})
    template.output("TaskSecurityGroupId", tasks, "security group of every Airflow task")
    template.output("DatabaseSecurityGroupId", database, "security group of the database")
    if env.access.mode == "alb":
        _load_balancer_group(template, env, vpc, tasks)


def _load_balancer_group(template: Template, env: Environment, vpc: Json, tasks: Json) -> None:
    name = prefix(env)
    ingress = []
    for cidr in env.access.allowed_cidrs:
        for port, why in ((443, "HTTPS"), (80, "HTTP, redirected to HTTPS")):
            ingress.append({"CidrIp": cidr, "IpProtocol": "tcp", "FromPort": port, "ToPort": port,
                            "Description": f"{why} from an allowed network"})
    balancer = template.add("LoadBalancerSecurityGroup", "AWS::EC2::SecurityGroup",
                            "the load balancer: HTTPS from access.allowed_cidrs only", {
                                "GroupDescription": f"Airflow load balancer of {name}", "VpcId": vpc,
                                "SecurityGroupIngress": ingress, "SecurityGroupEgress": NO_EGRESS,
                                "Tags": tags(Name=f"{name}-load-balancer")})
    template.add("LoadBalancerEgressToApi", "AWS::EC2::SecurityGroupEgress",
                 "the load balancer forwards to the API server", {
                     "GroupId": balancer, "DestinationSecurityGroupId": tasks, "IpProtocol": "tcp",
                     "FromPort": API_PORT, "ToPort": API_PORT, "Description": "to the Airflow API server"})
    template.add("TaskIngressFromLoadBalancer", "AWS::EC2::SecurityGroupIngress",
                 "the API server accepts the load balancer's requests", {
                     "GroupId": tasks, "SourceSecurityGroupId": balancer, "IpProtocol": "tcp",
                     "FromPort": API_PORT, "ToPort": API_PORT, "Description": "from the load balancer"})
    template.output("LoadBalancerSecurityGroupId", balancer, "security group of the load balancer")


def _endpoints(template: Template, env: Environment, vpc: Json, vpc_cidr: Json,
               needs: NetworkNeeds) -> None:
    name = prefix(env)
    group = template.add("EndpointSecurityGroup", "AWS::EC2::SecurityGroup",
                         "the VPC endpoints: HTTPS from inside the VPC", {
                             "GroupDescription": f"VPC endpoints of {name}", "VpcId": vpc,
                             "SecurityGroupIngress": [{"CidrIp": vpc_cidr, "IpProtocol": "tcp",
                                                       "FromPort": 443, "ToPort": 443,
                                                       "Description": "HTTPS from the VPC"}],
                             "SecurityGroupEgress": NO_EGRESS,
                             "Tags": tags(Name=f"{name}-endpoints")})
    for service in interface_endpoints(env, needs):
        logical = "".join(part.capitalize() for part in service.replace(".", "-").split("-"))
        template.add(f"{logical}Endpoint", "AWS::EC2::VPCEndpoint",
                     f"{service} without a NAT gateway", {
                         "VpcId": vpc, "ServiceName": sub(f"com.amazonaws.${{AWS::Region}}.{service}"),
                         "VpcEndpointType": "Interface", "PrivateDnsEnabled": True,
                         "SubnetIds": [ref("PrivateSubnetA"), ref("PrivateSubnetB")],
                         "SecurityGroupIds": [group]})
