"""The airflow stack: Airflow's components on ECS, Fargate or Managed Instances.

``standalone`` runs api-server, scheduler, dag-processor and triggerer in one task of one service;
``split`` gives each its own service (api-server and scheduler counts configurable for HA), found by
each other through a private DNS namespace, with Celery workers as their own autoscaled services.
Every service rolls back a failed deployment (circuit breaker). The stack holds nothing that must
survive it: it can be replaced freely.
"""

from __future__ import annotations

from airhost.config.models import Environment
from airhost.config.support import official_image
from airhost.render.airflow_env import COMPONENTS, Component
from airhost.render.ecs import roles, workers
from airhost.render.common import Json, Template, get_att, join, prefix, ref
from airhost.render.data import AIRFLOW_SECRET_ARNS
from airhost.render.ecs.schedule import bounds_output, scalable_target
from airhost.render.ecs.services import camel, service
from airhost.render.ecs.tasks import (
    CONTAINER, admin_secrets, capacity_provider_name, namespace_name, task_definition,
)
from airhost.render.stacks import Layer, StackTemplate


def render_airflow(env: Environment, config_hash: str) -> StackTemplate:
    template = Template(env, "airflow", "Airflow on ECS: cluster, tasks, services and roles")
    inputs = _parameters(template, env)
    template.add("LogGroup", "AWS::Logs::LogGroup", "output of every Airflow container", {
        "LogGroupName": f"/airhost/{env.project}/{env.name}",
        "RetentionInDays": env.logs.retention_days})
    roles.execution_role(template, env)
    roles.task_role(template, env)
    _cluster(template, env)
    services = _services(env)
    parameters: dict[str, str] = {}
    if env.ecs.topology == "split":
        _discovery(template, env)
    for name, (components, count, description) in services.items():
        task_definition(template, env, name, components, description)
        _service(template, env, name)
        parameters[f"DesiredCount{camel(name)}"] = str(count)
    if env.airflow.executor == "celery":
        workers.celery_workers(template, env, parameters)
    if env.airflow.executor == "ecs":
        # The executor overrides the command with the task instance's own `airflow tasks run`.
        task_definition(template, env, "worker", ["worker"],
                        "one Airflow task instance, started by the ECS executor", command=["version"])
    task_definition(template, env, "utils", ["utils"],
                    "one-off Airflow commands: db migrate, users create, any CLI call",
                    extra_secrets=admin_secrets())
    _outputs(template, env)
    counts = tuple(sorted(name for name in parameters if name.startswith("DesiredCount")))
    return template.stack(config_hash, parameters=parameters, inputs=inputs, counts=counts)


def _parameters(template: Template, env: Environment) -> dict[str, tuple[Layer, str]]:
    if env.ecs.image == "official":
        template.parameter("Image", "String", "Airflow image of every container",
                           Default=official_image(env.airflow.version, env.airflow.python))
    else:
        template.parameter("Image", "String", "Airflow image of every container, pushed to EcrRepositoryName")
    inputs: dict[str, tuple[Layer, str]] = {
        "SubnetIds": ("network", "PrivateSubnetIds"),
        "TaskSecurityGroupId": ("network", "TaskSecurityGroupId"),
        "LogsBucket": ("data", "LogsBucket"), "DagsBucket": ("data", "DagsBucket"),
        "EcrRepositoryName": ("data", "EcrRepositoryName"),
        "AdminPasswordSecretArn": ("data", "AdminPasswordSecretArn"),
    }
    for arn in sorted(set(AIRFLOW_SECRET_ARNS.values())):
        inputs[arn] = ("data", arn)
    types = {"VpcId": "AWS::EC2::VPC::Id", "SubnetIds": "List<AWS::EC2::Subnet::Id>",
             "TaskSecurityGroupId": "AWS::EC2::SecurityGroup::Id"}
    if env.ecs.topology == "split" or env.ecs.capacity == "managed-instances":
        inputs["VpcId"] = ("network", "VpcId")  # the DNS namespace, the instances' security group
    if env.access.mode == "alb":
        inputs["TargetGroupArn"] = ("access", "TargetGroupArn")
        inputs["PublicUrl"] = ("access", "Url")
    for name, (layer, output) in sorted(inputs.items()):
        template.parameter(name, types.get(name, "String"), f"{output} of the {layer} stack")
    return inputs


def _services(env: Environment) -> dict[str, tuple[list[Component], int, str]]:
    """Service name → (components it runs, configured task count, description)."""
    if env.ecs.topology == "standalone":
        return {"standalone": (list(COMPONENTS), 1,
                               "all of Airflow in one task: api-server, scheduler, dag-processor, triggerer")}
    return {
        "api-server": (["api-server"], env.ecs.api_servers, "Airflow's API server and UI"),
        "scheduler": (["scheduler"], env.ecs.schedulers, "Airflow's scheduler"),
        "dag-processor": (["dag-processor"], 1, "Airflow's DAG processor (parses the DAG bundle)"),
        "triggerer": (["triggerer"], 1, "Airflow's triggerer (deferred tasks)"),
    }


def _cluster(template: Template, env: Environment) -> None:
    properties: Json = {
        "ClusterName": prefix(env),
        "ClusterSettings": [{"Name": "containerInsights", "Value": "enabled"}],
        }
    if env.ecs.capacity == "fargate":
        properties["CapacityProviders"] = ["FARGATE", "FARGATE_SPOT"]
        properties["DefaultCapacityProviderStrategy"] = [{"CapacityProvider": "FARGATE", "Weight": 1}]
    template.add("Cluster", "AWS::ECS::Cluster", "the environment's ECS cluster", properties)
    if env.ecs.capacity == "managed-instances":
        _managed_instances(template, env)


def _managed_instances(template: Template, env: Environment) -> None:
    roles.instance_roles(template, env)
    shape = env.ecs.instance_requirements
    template.add("InstanceSecurityGroup", "AWS::EC2::SecurityGroup",
                 "the Managed Instances themselves (tasks have their own group)", {
                     "GroupDescription": f"ECS Managed Instances of {prefix(env)}", "VpcId": ref("VpcId"),
                     "SecurityGroupEgress": [{"CidrIp": "0.0.0.0/0", "IpProtocol": "-1",
                                              "Description": "ECS agent, image pulls, AWS APIs"}]})
    template.add("CapacityProvider", "AWS::ECS::CapacityProvider",
                 "ECS Managed Instances: EC2 capacity ECS launches, patches and stops", {
                     "Name": capacity_provider_name(env),
                     "ClusterName": ref("Cluster"),
                     "ManagedInstancesProvider": {
                         "InfrastructureRoleArn": get_att("InfrastructureRole", "Arn"),
                         "PropagateTags": "CAPACITY_PROVIDER",
                         "InstanceLaunchTemplate": {
                             "Ec2InstanceProfileArn": get_att("InstanceProfile", "Arn"),
                             "Monitoring": "BASIC",
                             "StorageConfiguration": {"StorageSizeGiB": 30},
                             "NetworkConfiguration": {"Subnets": ref("SubnetIds"),
                                                      "SecurityGroups": [ref("InstanceSecurityGroup")]},
                             "InstanceRequirements": {
                                 "VCpuCount": {"Min": shape.vcpu_min, "Max": shape.vcpu_max},
                                 "MemoryMiB": {"Min": shape.memory_min_mib, "Max": shape.memory_max_mib},
                                 "CpuManufacturers": list(shape.cpu_manufacturers),
                                 "BurstablePerformance": "included",
                                 "BareMetal": "excluded",
                             },
                         },
                     }})
    template.add("ClusterCapacity", "AWS::ECS::ClusterCapacityProviderAssociations",
                 "makes the Managed Instances the cluster's default capacity", {
                     "Cluster": ref("Cluster"), "CapacityProviders": [ref("CapacityProvider")],
                     "DefaultCapacityProviderStrategy": [{"CapacityProvider": ref("CapacityProvider"),
                                                          "Weight": 1}]})


def _discovery(template: Template, env: Environment) -> None:
    template.add("Namespace", "AWS::ServiceDiscovery::PrivateDnsNamespace",
                 "private DNS names by which components find the API server", {
                     "Name": namespace_name(env), "Vpc": ref("VpcId")})
    template.add("ApiServerDiscovery", "AWS::ServiceDiscovery::Service",
                 "api-server.<namespace>: the API server's tasks", {
                     "Name": "api-server", "NamespaceId": get_att("Namespace", "Id"),
                     "DnsConfig": {"DnsRecords": [{"Type": "A", "TTL": 10}], "RoutingPolicy": "MULTIVALUE"},
                     "HealthCheckCustomConfig": {"FailureThreshold": 1}})


def _service(template: Template, env: Environment, name: str) -> None:
    key = camel(name)
    description = template.resources[f"{key}TaskDefinition"]["Metadata"]["Description"]
    service(template, env, name, f"{key}TaskDefinition", f"keeps running: {description}")
    if env.schedule:
        count = ref(f"DesiredCount{key}")
        scalable_target(template, env, key, count, count, f"{name} sleeps outside the schedule's hours")


def _outputs(template: Template, env: Environment) -> None:
    template.output("ClusterName", ref("Cluster"), "the ECS cluster")
    template.output("ClusterArn", get_att("Cluster", "Arn"), "the ECS cluster's ARN")
    provider = "FARGATE" if env.ecs.capacity == "fargate" else ref("CapacityProvider")
    template.output("CapacityProvider", provider, "capacity provider for run_task")
    template.output("UtilsTaskDefinitionArn", ref("UtilsTaskDefinition"),
                    "task definition for one-off Airflow commands")
    template.output("ContainerName", CONTAINER, "the Airflow container in every task definition")
    template.output("LogGroupName", ref("LogGroup"), "log group of every container")
    template.output("TaskSecurityGroupId", ref("TaskSecurityGroupId"), "security group for run_task")
    template.output("SubnetIds", join(",", ref("SubnetIds")), "subnets for run_task, comma-joined")
    template.output("Image", ref("Image"), "the Airflow image running")
    names = sorted(name[: -len("Service")] for name in template.resources
                   if template.resources[name]["Type"] == "AWS::ECS::Service")
    pairs = []
    for key in names:
        service_tags = template.resources[f"{key}Service"]["Properties"]["Tags"]
        component = next(tag["Value"] for tag in service_tags if tag["Key"] == "airhost:component")
        template.output(f"Service{key}", get_att(f"{key}Service", "Name"), f"ECS service of {component}")
        pairs.append({"Fn::Join": ["=", [component, get_att(f"{key}Service", "Name")]]})
    template.output("Services", join(",", pairs), "component=service name, for each service")
    if env.schedule:
        bounds_output(template)
