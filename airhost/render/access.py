"""The access stack (``access.mode: alb``): an internet-facing load balancer in front of the API server.

HTTPS with the given ACM certificate and a modern TLS policy, plain HTTP redirected to HTTPS, only
``access.allowed_cidrs`` admitted (by the network stack's security group), and optionally an OIDC
login in front of Airflow's own. The OIDC client secret is read by CloudFormation from Secrets
Manager at deploy time; the template holds only its ARN. ``private`` access needs no stack (reach
the API server from inside the VPC); ``tailscale`` puts a sidecar in the API server's task instead.
"""

from __future__ import annotations

from airhost.config.models import Environment
from airhost.render.common import Json, Template, get_att, join, ref
from airhost.render.network import API_PORT
from airhost.render.stacks import StackTemplate

TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
HEALTH_PATH = "/api/v2/monitor/health"


def render_access(env: Environment, config_hash: str, *, target_type: str = "ip") -> StackTemplate:
    """The load balancer; ``target_type`` is how the target registers the API server: ``ip``
    (ECS tasks, Kubernetes pods) or ``instance`` (EC2 instances)."""
    template = Template(env, "access", "load balancer in front of the Airflow API server")
    template.parameter("VpcId", "AWS::EC2::VPC::Id", "the VPC (network stack)")
    template.parameter("PublicSubnetIds", "List<AWS::EC2::Subnet::Id>", "public subnets (network stack)")
    template.parameter("LoadBalancerSecurityGroupId", "AWS::EC2::SecurityGroup::Id",
                       "the load balancer's security group (network stack)")
    template.add("LoadBalancer", "AWS::ElasticLoadBalancingV2::LoadBalancer",
                 "public HTTPS entry to the Airflow UI and API", {
                     "Type": "application", "Scheme": "internet-facing",
                     "Subnets": ref("PublicSubnetIds"),
                     "SecurityGroups": [ref("LoadBalancerSecurityGroupId")],
                     "LoadBalancerAttributes": [
                         {"Key": "routing.http.drop_invalid_header_fields.enabled", "Value": "true"},
                         {"Key": "idle_timeout.timeout_seconds", "Value": "120"}]})
    template.add("TargetGroup", "AWS::ElasticLoadBalancingV2::TargetGroup",
                 "the API server's tasks, registered by the target's compute", {
                     "TargetType": target_type, "Protocol": "HTTP", "Port": API_PORT, "VpcId": ref("VpcId"),
                     "HealthCheckPath": HEALTH_PATH, "HealthCheckIntervalSeconds": 30,
                     "HealthyThresholdCount": 2, "UnhealthyThresholdCount": 5,
                     "Matcher": {"HttpCode": "200"},
                     "TargetGroupAttributes": [
                         {"Key": "deregistration_delay.timeout_seconds", "Value": "30"}]})
    template.add("HttpsListener", "AWS::ElasticLoadBalancingV2::Listener",
                 "HTTPS with the ACM certificate, forwarding to the API server", {
                     "LoadBalancerArn": ref("LoadBalancer"), "Protocol": "HTTPS", "Port": 443,
                     "SslPolicy": TLS_POLICY,
                     "Certificates": [{"CertificateArn": env.access.certificate_arn}],
                     "DefaultActions": _actions(env)})
    template.add("HttpListener", "AWS::ElasticLoadBalancingV2::Listener", "redirects HTTP to HTTPS", {
        "LoadBalancerArn": ref("LoadBalancer"), "Protocol": "HTTP", "Port": 80,
        "DefaultActions": [{"Type": "redirect", "RedirectConfig": {
            "Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}]})
    if env.access.oidc:
        template.add("HealthRule", "AWS::ElasticLoadBalancingV2::ListenerRule",
                     "the health endpoint answers without a login, for monitors and the deploy", {
                         "ListenerArn": ref("HttpsListener"), "Priority": 1,
                         "Conditions": [{"Field": "path-pattern",
                                         "PathPatternConfig": {"Values": [HEALTH_PATH]}}],
                         "Actions": [{"Type": "forward", "TargetGroupArn": ref("TargetGroup")}]})
    dns = get_att("LoadBalancer", "DNSName")
    url = f"https://{env.access.domain}" if env.access.domain else join("", ["https://", dns])
    template.output("Url", url, "where people open Airflow")
    template.output("LoadBalancerDnsName", dns, "point access.domain's DNS record (CNAME/alias) here")
    template.output("TargetGroupArn", ref("TargetGroup"), "the API server's target group")
    return template.stack(config_hash, inputs={
        "VpcId": ("network", "VpcId"), "PublicSubnetIds": ("network", "PublicSubnetIds"),
        "LoadBalancerSecurityGroupId": ("network", "LoadBalancerSecurityGroupId")})


def _actions(env: Environment) -> list[Json]:
    forward: Json = {"Type": "forward", "TargetGroupArn": ref("TargetGroup")}
    oidc = env.access.oidc
    if oidc is None:
        return [forward]
    forward["Order"] = 2
    return [{"Type": "authenticate-oidc", "Order": 1, "AuthenticateOidcConfig": {
        "Issuer": oidc.issuer, "AuthorizationEndpoint": oidc.authorization_endpoint,
        "TokenEndpoint": oidc.token_endpoint, "UserInfoEndpoint": oidc.user_info_endpoint,
        "ClientId": oidc.client_id,
        "ClientSecret": "{{resolve:secretsmanager:" + oidc.client_secret_arn + "}}",
        "OnUnauthenticatedRequest": "authenticate", "Scope": "openid email profile"}},
        forward]
