"""The ECS stacks' contract with the deploy, and the safety properties a reviewer relies on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from airhost.config.loader import validate_project
from airhost.config.support import official_image
from airhost.errors import UsageError
from airhost.render.ecs import render_stacks
from tests.render.conftest import resources_of, stack

CERT = "arn:aws:acm:eu-west-1:123456789012:certificate/abc"
TAILSCALE = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:ts-AbCdEf"


def render(**environment):
    data = {"project": "shop", "region": "eu-west-1",
            "environments": {"prod": {"target": "ecs", **environment}}}
    env = validate_project(data, {}, root=Path("/p"), source="test").environment("prod")
    return render_stacks(env, "0123456789ab")


def _all_values(node):
    if isinstance(node, dict):
        for key, value in node.items():
            yield key, value
            yield from _all_values(value)
    elif isinstance(node, list):
        for item in node:
            yield from _all_values(item)


def test_stacks_come_in_deploy_order_with_project_env_layer_names(examples):
    assert [s.name for s in examples["ecs/fg-solo"]] == [
        "analytics-fg-solo-network", "analytics-fg-solo-data", "analytics-fg-solo-airflow"]
    # The load balancer must exist before the service that registers with it.
    assert [s.layer for s in examples["ecs/fg-split-alb"]] == ["network", "data", "access", "airflow"]
    assert [s.layer for s in examples["ecs/mi-solo-ts"]] == ["network", "data", "airflow"]


def test_every_input_is_an_output_of_an_earlier_stack_and_every_parameter_is_filled(examples):
    for key, stacks in examples.items():
        outputs: dict[str, set[str]] = {}
        for s in stacks:
            declared = s.template.get("Parameters", {})
            for parameter, (layer, output) in s.inputs.items():
                assert output in outputs.get(layer, set()), f"{key} {s.layer}.{parameter} ← {layer}.{output}"
            filled = set(s.inputs) | set(s.parameters)
            assert filled <= set(declared), f"{key} {s.layer}: fills undeclared {filled - set(declared)}"
            unfilled = {name for name, spec in declared.items() if "Default" not in spec} - filled
            assert not unfilled or unfilled == {"Image"}, f"{key} {s.layer}: nothing fills {unfilled}"
            outputs[s.layer] = set(s.template.get("Outputs", {}))


def test_no_exports_or_imports_lock_stacks_together(examples):
    for stacks in examples.values():
        for s in stacks:
            text = json.dumps(s.template)
            assert "Fn::ImportValue" not in text
            assert all("Export" not in output for output in s.template.get("Outputs", {}).values())


def test_templates_are_stamped_and_every_resource_is_described(examples):
    for key, stacks in examples.items():
        for s in stacks:
            stamp = s.template["Metadata"]["airhost"]
            assert stamp["config_hash"] and stamp["version"] and stamp["layer"] == s.layer
            for name, resource in s.template["Resources"].items():
                assert resource["Metadata"]["Description"], f"{key} {s.layer} {name}"


def test_rendering_is_deterministic(environments):
    for env, config_hash in environments.values():
        first = [json.dumps(s.template) for s in render_stacks(env, config_hash)]
        second = [json.dumps(s.template) for s in render_stacks(env, config_hash)]
        assert first == second


def test_the_deploy_gets_the_outputs_it_needs(examples):
    for stacks in examples.values():
        network, data, airflow = stack(stacks, "network"), stack(stacks, "data"), stack(stacks, "airflow")
        assert {"VpcId", "PrivateSubnetIds", "TaskSecurityGroupId"} <= set(network.template["Outputs"])
        assert {"DatabaseEndpoint", "DatabaseInstanceId", "DatabaseUrlSecretArn", "FernetKeySecretArn",
                "AdminPasswordSecretArn", "LogsBucket", "DagsBucket", "EcrRepositoryUri"} <= set(
                    data.template["Outputs"])
        assert {"ClusterName", "UtilsTaskDefinitionArn", "LogGroupName", "Services", "TaskSecurityGroupId",
                "SubnetIds", "CapacityProvider"} <= set(airflow.template["Outputs"])
        services = resources_of(airflow.template, "AWS::ECS::Service")
        assert {f"Service{name[:-len('Service')]}" for name in services} <= set(airflow.template["Outputs"])


def test_services_start_at_zero_until_the_deploy_migrates_the_database(examples):
    airflow = stack(examples["ecs/fg-split-alb"], "airflow")
    for name, spec in airflow.template["Parameters"].items():
        if name.startswith("DesiredCount"):
            assert spec["Default"] == "0"
    assert airflow.parameters["DesiredCountApiServer"] == "2"
    assert airflow.parameters["DesiredCountScheduler"] == "2"
    assert airflow.parameters["DesiredCountWorker"] == "0"


def test_every_service_rolls_back_a_failed_deployment_and_has_no_public_address(examples):
    for stacks in examples.values():
        for service in resources_of(stack(stacks, "airflow").template, "AWS::ECS::Service").values():
            properties = service["Properties"]
            assert properties["DeploymentConfiguration"]["DeploymentCircuitBreaker"] == {
                "Enable": True, "Rollback": True}
            assert properties["NetworkConfiguration"]["AwsvpcConfiguration"]["AssignPublicIp"] == "DISABLED"


def test_image_defaults_to_the_official_one_or_must_be_given_for_ecr(examples, environments):
    env, _ = environments["ecs/fg-solo"]
    image = stack(examples["ecs/fg-solo"], "airflow").template["Parameters"]["Image"]
    assert image["Default"] == official_image(env.airflow.version, env.airflow.python)
    assert "Default" not in stack(examples["ecs/fg-nonat"], "airflow").template["Parameters"]["Image"]


def test_database_is_private_encrypted_protected_and_snapshotted(examples):
    data = stack(examples["ecs/fg-split-alb"], "data")
    database = data.template["Resources"]["Database"]
    properties = database["Properties"]
    # encrypted when created; restored from a snapshot it inherits the snapshot's encryption
    assert properties["StorageEncrypted"] == {"Fn::If": ["RestoredFromSnapshot", {"Ref": "AWS::NoValue"},
                                                          True]}
    assert properties["PubliclyAccessible"] is False
    assert properties["DeletionProtection"] is True
    # deleted: a final snapshot; replaced by a restore: kept until 'restore --cleanup'
    assert database["DeletionPolicy"] == "Snapshot" and database["UpdateReplacePolicy"] == "Retain"
    assert data.kept == ("DatabaseSnapshot",)
    assert properties["BackupRetentionPeriod"] == 14 and properties["MultiAZ"] is True
    assert properties["EngineVersion"] == "17"
    assert "{{resolve:secretsmanager:" in json.dumps(properties["MasterUserPassword"])
    assert data.termination_protection is True


def test_buckets_are_versioned_encrypted_private_and_tls_only(examples):
    data = stack(examples["ecs/fg-solo"], "data").template
    for name in ("LogsBucket", "DagsBucket"):
        properties = data["Resources"][name]["Properties"]
        assert properties["VersioningConfiguration"]["Status"] == "Enabled"
        assert all(properties["PublicAccessBlockConfiguration"].values())
        assert properties["BucketEncryption"]
        policy = data["Resources"][f"{name}Policy"]["Properties"]["PolicyDocument"]["Statement"][0]
        assert policy["Effect"] == "Deny" and policy["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    rules = data["Resources"]["LogsBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    assert any(rule.get("ExpirationInDays") == 30 for rule in rules)
    assert data["Resources"]["Repository"]["Properties"]["ImageScanningConfiguration"] == {"ScanOnPush": True}


def test_database_admits_only_airflow_tasks_and_the_admin_group(examples):
    for key, stacks in examples.items():
        network = stack(stacks, "network").template
        ingress = [r["Properties"] for r in resources_of(network, "AWS::EC2::SecurityGroupIngress").values()
                   if r["Properties"]["GroupId"] == {"Ref": "DatabaseSecurityGroup"}]
        sources = {json.dumps(rule["SourceSecurityGroupId"]) for rule in ingress}
        assert json.dumps({"Ref": "TaskSecurityGroup"}) in sources
        assert all("CidrIp" not in rule for rule in ingress)
        assert "SecurityGroupIngress" not in network["Resources"]["DatabaseSecurityGroup"]["Properties"]
    admin = stack(examples["ecs/fg-vpc-alb"], "network").template["Resources"]["DatabaseIngressFromAdmins"]
    assert admin["Properties"]["SourceSecurityGroupId"] == "sg-0a1b2c3d4e5f60719"


def test_nothing_admits_the_internet_unless_access_is_alb_and_then_only_allowed_networks(examples, environments):
    for key, stacks in examples.items():
        env, _ = environments[key]
        cidrs = set()
        for s in stacks:
            for group in resources_of(s.template, "AWS::EC2::SecurityGroup").values():
                cidrs |= {rule["CidrIp"] for rule in group["Properties"].get("SecurityGroupIngress", [])
                          if isinstance(rule.get("CidrIp"), str)}
        allowed = set(env.access.allowed_cidrs) if env.access.mode == "alb" else set()
        assert cidrs <= allowed, key


def test_nat_none_uses_vpc_endpoints_and_an_existing_vpc_creates_none(examples):
    nonat = stack(examples["ecs/fg-nonat"], "network")
    types = {r["Type"] for r in nonat.template["Resources"].values()}
    assert "AWS::EC2::NatGateway" not in types and "AWS::EC2::InternetGateway" not in types
    services = {json.dumps(r["Properties"]["ServiceName"]) for r in
                resources_of(nonat.template, "AWS::EC2::VPCEndpoint").values()}
    for service in ("ecr.api", "ecr.dkr", "logs", "secretsmanager", "ssm", "s3"):
        assert any(service + '"' in name for name in services), service
    existing = stack(examples["ecs/fg-vpc-alb"], "network")
    assert not resources_of(existing.template, "AWS::EC2::VPC")
    assert existing.parameters["VpcId"] == "vpc-0a1b2c3d4e5f60718"
    assert existing.parameters["PrivateSubnetIds"] == "subnet-0a1b2c3d4e5f60001,subnet-0a1b2c3d4e5f60002"


def test_managed_instances_get_a_capacity_provider_with_the_configured_shape(examples):
    airflow = stack(examples["ecs/mi-solo-ts"], "airflow").template
    provider = airflow["Resources"]["CapacityProvider"]["Properties"]["ManagedInstancesProvider"]
    shape = provider["InstanceLaunchTemplate"]["InstanceRequirements"]
    assert shape["VCpuCount"] == {"Min": 2, "Max": 4}
    assert shape["MemoryMiB"] == {"Min": 4096, "Max": 16384}
    for task in resources_of(airflow, "AWS::ECS::TaskDefinition").values():
        assert task["Properties"]["RequiresCompatibilities"] == ["MANAGED_INSTANCES"]
        assert task["Properties"]["RuntimePlatform"]["CpuArchitecture"] == "ARM64"
    x86 = stack(examples["ecs/mi-split-alb"], "airflow").template
    assert x86["Resources"]["UtilsTaskDefinition"]["Properties"]["RuntimePlatform"]["CpuArchitecture"] == "X86_64"


def test_standalone_runs_every_component_in_one_healthchecked_task(examples):
    airflow = stack(examples["ecs/fg-solo"], "airflow").template
    assert set(resources_of(airflow, "AWS::ECS::Service")) == {"StandaloneService"}
    container = airflow["Resources"]["StandaloneTaskDefinition"]["Properties"]["ContainerDefinitions"][0]
    script = container["Command"][-1]
    for component in ("api-server", "scheduler", "dag-processor", "triggerer"):
        assert f"airflow {component}" in script
    assert "/api/v2/monitor/health" in container["HealthCheck"]["Command"][-1]


def test_split_runs_a_service_per_component_and_autoscaled_celery_workers(examples):
    airflow = stack(examples["ecs/fg-split-alb"], "airflow").template
    assert set(resources_of(airflow, "AWS::ECS::Service")) == {
        "ApiServerService", "SchedulerService", "DagProcessorService", "TriggererService",
        "WorkerService", "WorkerHeavyService"}
    target = airflow["Resources"]["WorkerHeavyScaling"]["Properties"]
    assert (target["MinCapacity"], target["MaxCapacity"]) == (0, 2)
    api = airflow["Resources"]["ApiServerService"]["Properties"]
    assert api["LoadBalancers"][0]["TargetGroupArn"] == {"Ref": "TargetGroupArn"}


def test_tailscale_puts_a_sidecar_in_the_api_task_with_its_key_from_a_secret(examples):
    stacks = examples["ecs/mi-solo-ts"]
    assert stack(stacks, "access") is None
    task = stack(stacks, "airflow").template["Resources"]["StandaloneTaskDefinition"]["Properties"]
    sidecar = next(c for c in task["ContainerDefinitions"] if c["Name"] == "tailscale")
    assert sidecar["Secrets"] == [{"Name": "TS_AUTHKEY", "ValueFrom":
                                   "arn:aws:secretsmanager:eu-west-1:123456789012:secret:tailscale-auth-key-AbCdEf"}]
    assert sidecar["DependsOn"] == [{"ContainerName": "airflow", "Condition": "HEALTHY"}]
    assert all(e["Name"] != "TS_AUTHKEY" for e in sidecar["Environment"])


def test_alb_serves_https_with_the_certificate_redirects_http_and_logs_in_with_oidc(examples):
    access = stack(examples["ecs/fg-split-alb"], "access").template["Resources"]
    https = access["HttpsListener"]["Properties"]
    assert https["Certificates"][0]["CertificateArn"].startswith("arn:aws:acm:")
    assert https["SslPolicy"].startswith("ELBSecurityPolicy-TLS13")
    oidc = https["DefaultActions"][0]["AuthenticateOidcConfig"]
    assert oidc["ClientSecret"].startswith("{{resolve:secretsmanager:arn:aws:secretsmanager:")
    assert access["HttpListener"]["Properties"]["DefaultActions"][0]["RedirectConfig"]["Protocol"] == "HTTPS"
    url = stack(examples["ecs/fg-split-alb"], "access").template["Outputs"]["Url"]["Value"]
    assert url == "https://airflow.example.com"


def test_a_local_environment_has_nothing_to_render():
    from airhost.targets import Unsupported, require

    data = {"project": "shop", "environments": {"dev": {"target": "local"}}}
    env = validate_project(data, {}, root=Path("/p"), source="test").environment("dev")
    with pytest.raises(Unsupported, match="no CloudFormation to render"):
        require(env, "render")


def test_nat_none_with_the_official_image_is_a_config_error():
    from airhost.errors import ConfigError

    with pytest.raises(ConfigError, match="ecs.image: ecr"):
        render(network={"nat": "none"})
    assert render(network={"nat": "none"}, ecs={"image": "ecr"})


@pytest.mark.parametrize("environment, fix", [
    ({"network": {"nat": "none"}, "access": {"mode": "tailscale", "tailscale": {
        "auth_key_secret_arn": TAILSCALE}}, "ecs": {"image": "ecr"}}, "set network.egress: nat-instance"),
    ({"ecs": {"capacity": "managed-instances", "instance_requirements": {"cpu_manufacturers": ["intel"]}}},
     "architecture x86_64"),
    ({"ecs": {"capacity": "managed-instances", "architecture": "x86_64"}}, "cpu_manufacturers to [intel]"),
    ({"network": {"vpc_id": "vpc-0123456789abcdef0",
                  "private_subnet_ids": ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]},
      "access": {"mode": "alb", "certificate_arn": CERT, "allowed_cidrs": ["192.0.2.0/24"]}},
     "public_subnet_ids"),
    ({"airflow": {"executor": "ecs"}}, "ecs.topology split"),
    ({"ecs": {"topology": "split", "api_servers": 2},
      "access": {"mode": "tailscale", "tailscale": {"auth_key_secret_arn": TAILSCALE}}}, "api_servers: 1"),
    ({"network": {"cidr": "10.0.0.0/28"}}, "/16 to /24"),
    ({"ecs": {"sizes": {"standalone": {"cpu": 256, "memory": 8192}}}}, "use 512 to 2048 in steps of 512"),
])
def test_settings_ecs_cannot_run_are_refused_with_the_fix(environment, fix):
    from airhost.errors import ConfigError

    with pytest.raises(ConfigError) as error:
        render(**environment)
    assert fix in str(error.value)
