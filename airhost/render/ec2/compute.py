"""The compute stack of an EC2 environment: launch templates, Auto Scaling groups and their role.

One Auto Scaling group per group of ``resolved_groups`` (``standalone``, or a group per component
and a worker group per Celery queue), across the two private subnets, from a launch template of
Amazon Linux 2023 (the AMI from AWS's public SSM parameter for the group's architecture), IMDSv2
only, an encrypted gp3 root volume, no key pair and no inbound SSH: Session Manager is the way in.
The stack holds nothing that must survive it: it can be replaced freely.
"""

from __future__ import annotations

from airhost.config.ec2 import ResolvedGroup, resolved_groups
from airhost.config.models import Environment
from airhost.render.common import (
    Json, Template, allow, assume_role, get_att, join, policy_document, prefix, ref, sub, sub_tokens,
    tags,
)
from airhost.render.data import AIRFLOW_SECRET_ARNS, BUNDLE_PREFIX, TASK_LOGS_PREFIX
from airhost.render.ec2 import node
from airhost.render.ec2.schedule import scheduled_actions
from airhost.render.ecs.backlog import COLLECTION_SECONDS, backlog_queries, put_metrics_statement
from airhost.render.ecs.worker_sizing import scale_out_steps
from airhost.render.network import API_PORT
from airhost.render.stacks import Layer, StackTemplate

AMI = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-{}"
MANAGED = "arn:${AWS::Partition}:iam::aws:policy/"
HEALTH_PATH = "/api/v2/monitor/health"
WHEELHOUSE_PREFIX = "wheelhouse"


def camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("-"))


def wheelhouse_parameter(architecture: str) -> str:
    """The compute stack's parameter naming the wheelhouse of the nodes of ``architecture``."""
    return "Wheelhouse" + _architecture_key(architecture)


def _architecture_key(architecture: str) -> str:
    return "Arm64" if architecture == "arm64" else "X8664"


def count_parameter(group: ResolvedGroup) -> str:
    return f"DesiredCount{camel(group.name)}"


def render_compute(env: Environment, config_hash: str) -> StackTemplate:
    template = Template(env, "compute", "Airflow on EC2: launch templates, Auto Scaling groups, role")
    groups = resolved_groups(env)
    inputs = _parameters(template, env, groups)
    template.add("LogGroup", "AWS::Logs::LogGroup", "output of every Airflow component", {
        "LogGroupName": node.log_group_name(env), "RetentionInDays": env.logs.retention_days})
    _role(template, env, groups)
    if env.ec2.topology == "split":
        _internal_load_balancer(template, env)
    wheelhouses = sorted({wheelhouse_parameter(group.architecture) for group in groups})
    # The user's wheelhouse, or (deploy) the one airhost builds: kept as deployed otherwise.
    parameters: dict[str, str] = {name: env.ec2.wheelhouse for name in wheelhouses} \
        if env.ec2.wheelhouse else {}
    for group in groups:
        _settings(template, env, group)
        _launch_template(template, env, group)
        _group(template, env, group)
        scheduled_actions(template, env, group, camel(group.name), count_parameter(group))
        parameters[count_parameter(group)] = str(group.desired)
        if group.queue:
            _scaling(template, env, group)
    _outputs(template, env, groups)
    counts = tuple(sorted(name for name in parameters if name.startswith("DesiredCount")))
    kept = () if env.ec2.wheelhouse else tuple(wheelhouses)
    return template.stack(config_hash, parameters=parameters, inputs=inputs, counts=counts,
                          kept=kept)


def _parameters(template: Template, env: Environment,
                groups: list[ResolvedGroup]) -> dict[str, tuple[Layer, str]]:
    inputs: dict[str, tuple[Layer, str]] = {
        "SubnetIds": ("network", "PrivateSubnetIds"),
        "TaskSecurityGroupId": ("network", "TaskSecurityGroupId"),
        "LogsBucket": ("data", "LogsBucket"), "DagsBucket": ("data", "DagsBucket"),
        "AdminPasswordSecretArn": ("data", "AdminPasswordSecretArn"),
    }
    for arn in sorted(set(AIRFLOW_SECRET_ARNS.values())):
        inputs[arn] = ("data", arn)
    if env.ec2.topology == "split":
        inputs["VpcId"] = ("network", "VpcId")
    if env.access.mode == "alb":
        inputs["TargetGroupArn"] = ("access", "TargetGroupArn")
        inputs["PublicUrl"] = ("access", "Url")
    types = {"VpcId": "AWS::EC2::VPC::Id", "SubnetIds": "List<AWS::EC2::Subnet::Id>",
             "TaskSecurityGroupId": "AWS::EC2::SecurityGroup::Id"}
    for name, (layer, output) in sorted(inputs.items()):
        template.parameter(name, types.get(name, "String"), f"{output} of the {layer} stack")
    for architecture in sorted({group.architecture for group in groups}):
        template.parameter(wheelhouse_parameter(architecture), "String",
                           f"s3:// prefix of the release's wheelhouse for {architecture} nodes "
                           "(requirements.lock and its wheels): built by deploy, or ec2.wheelhouse",
                           Default="")
        template.parameter(_ami_parameter(architecture), "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>",
                           f"Amazon Linux 2023 for {architecture}, from AWS's public parameter",
                           Default=AMI.format(architecture))
    for group in groups:
        template.parameter(count_parameter(group), "Number",
                           f"instances of group {group.name} (0 until the database is migrated)",
                           Default=0, MinValue=0, MaxValue=max(group.maximum, 1))
    return inputs


def _ami_parameter(architecture: str) -> str:
    return "ImageId" + _architecture_key(architecture)


def _role(template: Template, env: Environment, groups: list[ResolvedGroup]) -> None:
    partition = "arn:${AWS::Partition}"
    parameters = sub(f"{partition}:ssm:${{AWS::Region}}:${{AWS::AccountId}}:parameter"
                     f"/airhost/{env.project}/{env.name}/*")
    secrets: list[object] = [ref(name) for name in sorted(set(AIRFLOW_SECRET_ARNS.values()))]
    secrets.append(ref("AdminPasswordSecretArn"))
    groups_arn = sub(f"{partition}:autoscaling:${{AWS::Region}}:${{AWS::AccountId}}:autoScalingGroup:*:"
                     f"autoScalingGroupName/{prefix(env)}-*")
    listed = [sub(f"{partition}:s3:::${{LogsBucket}}"), sub(f"{partition}:s3:::${{DagsBucket}}")]
    readable = [sub(f"{partition}:s3:::${{DagsBucket}}/{BUNDLE_PREFIX}/*"),
                sub(f"{partition}:s3:::${{DagsBucket}}/{WHEELHOUSE_PREFIX}/*")]
    if env.ec2.wheelhouse:  # the user's own wheelhouse, wherever it is
        bucket, _, key = env.ec2.wheelhouse[len("s3://"):].partition("/")
        listed.append(sub(f"{partition}:s3:::{bucket}"))
        readable.append(sub(f"{partition}:s3:::{bucket}/{key}*"))
    statements = [
        allow(["secretsmanager:GetSecretValue"], secrets, "ReadSecrets"),
        allow(["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"], parameters,
              "SettingsConnectionsAndVariables"),
        allow(["s3:ListBucket"], listed, "ListBuckets"),
        allow(["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
              sub(f"{partition}:s3:::${{LogsBucket}}/{TASK_LOGS_PREFIX}/*"), "TaskLogs"),
        allow(["s3:GetObject", "s3:GetObjectVersion"], readable, "DagBundleAndWheelhouse"),
        allow(["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
              get_att("LogGroup", "Arn"), "ComponentLogs"),
        # cfn-hup reads the settings resources' metadata of this stack only.
        allow(["cloudformation:DescribeStackResource"], ref("AWS::StackId"), "SettingChanges"),
    ]
    if any(group.queue for group in groups):
        statements.append(allow(["autoscaling:CompleteLifecycleAction"], groups_arn, "DrainWorkers"))
        queues = sub(f"{partition}:sqs:${{AWS::Region}}:${{AWS::AccountId}}:{prefix(env)}-*")
        statements.append(allow(["sqs:ChangeMessageVisibility", "sqs:DeleteMessage",
                                 "sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:ReceiveMessage",
                                 "sqs:SendMessage", "sqs:CreateQueue"], queues, "CeleryQueues"))
        # Celery lists queues by name prefix when it starts; ListQueues has no resource to scope to.
        statements.append(allow(["sqs:ListQueues"], "*", "FindCeleryQueues"))
        statements.append(put_metrics_statement(env))
    template.add("InstanceRole", "AWS::IAM::Role",
                 "the nodes' role: Session Manager and Run Command, and Airflow's own access", {
                     "AssumeRolePolicyDocument": assume_role("ec2.amazonaws.com"),
                     "ManagedPolicyArns": [sub(MANAGED + "AmazonSSMManagedInstanceCore")],
                     "Policies": [{"PolicyName": "airflow",
                                   "PolicyDocument": policy_document(*statements)}]})
    template.add("InstanceProfile", "AWS::IAM::InstanceProfile", "instance profile of every node",
                 {"Roles": [ref("InstanceRole")]})


def _internal_load_balancer(template: Template, env: Environment) -> None:
    """How components on other nodes reach the API server (the execution API) in split topology.

    A network load balancer passes TCP through (like the service discovery name ECS uses); its
    security group is the nodes' own, which admits the API port from itself only."""
    template.add("InternalLoadBalancer", "AWS::ElasticLoadBalancingV2::LoadBalancer",
                 "private address of the API server for the other components", {
                     "Type": "network", "Scheme": "internal", "Subnets": ref("SubnetIds"),
                     "SecurityGroups": [ref("TaskSecurityGroupId")]})
    template.add("InternalTargetGroup", "AWS::ElasticLoadBalancingV2::TargetGroup",
                 "the api-server group's instances", {
                     "TargetType": "instance", "Protocol": "TCP", "Port": API_PORT,
                     "VpcId": ref("VpcId"), "HealthCheckProtocol": "HTTP",
                     "HealthCheckPath": HEALTH_PATH, "Matcher": {"HttpCode": "200"},
                     "TargetGroupAttributes": [
                         {"Key": "deregistration_delay.timeout_seconds", "Value": "30"}]})
    template.add("InternalListener", "AWS::ElasticLoadBalancingV2::Listener",
                 "TCP inside the VPC, to the API server", {
                     "LoadBalancerArn": ref("InternalLoadBalancer"), "Port": API_PORT,
                     "Protocol": "TCP",
                     "DefaultActions": [{"Type": "forward", "TargetGroupArn": ref("InternalTargetGroup")}]})


def _substituted(env: Environment, text: str) -> Json:
    variables = {"ApiUrl": sub(f"http://${{InternalLoadBalancer.DNSName}}:{API_PORT}")} \
        if env.ec2.topology == "split" else None
    tokenized = sub_tokens(text, node.TOKENS)
    if variables and isinstance(tokenized, dict):
        return {"Fn::Sub": [tokenized["Fn::Sub"], variables]}
    return tokenized if isinstance(tokenized, dict) else {"Fn::Sub": tokenized}


def _settings(template: Template, env: Environment, group: ResolvedGroup) -> None:
    document = node.settings_document(env, group)
    text = node.settings_text(document)
    template.add(node.settings_resource(group), "AWS::SSM::Parameter",
                 f"settings of group {group.name}, read by its nodes (no secrets: references only)", {
                     "Name": node.settings_parameter(env, group), "Type": "String",
                     "Tier": "Intelligent-Tiering", "Value": _substituted(env, text),
                     "Description": f"airhost node settings of {prefix(env)} {group.name}"})
    # cfn-hup on each node watches this metadata: it changes exactly when the settings do.
    template.resources[node.settings_resource(group)]["Metadata"]["airhost"] = {
        "settings_hash": node.settings_hash(document)}


def _launch_template(template: Template, env: Environment, group: ResolvedGroup) -> None:
    key = camel(group.name)
    template.add(f"{key}LaunchTemplate", "AWS::EC2::LaunchTemplate",
                 f"instances of group {group.name}: Amazon Linux 2023, IMDSv2, no key pair", {
                     "LaunchTemplateData": {
                         "ImageId": ref(_ami_parameter(group.architecture)),
                         "InstanceType": group.instance_type,
                         "IamInstanceProfile": {"Arn": get_att("InstanceProfile", "Arn")},
                         "SecurityGroupIds": [ref("TaskSecurityGroupId")],
                         # Tags in the metadata: a one-off node (airhost:one-off) starts no unit.
                         "MetadataOptions": {"HttpTokens": "required", "HttpEndpoint": "enabled",
                                             "HttpPutResponseHopLimit": 1,
                                             "InstanceMetadataTags": "enabled"},
                         "EbsOptimized": True,
                         "Monitoring": {"Enabled": True},
                         "BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": {
                             "VolumeSize": group.root_volume_gb, "VolumeType": "gp3",
                             "Encrypted": True, "DeleteOnTermination": True}}],
                         "TagSpecifications": [
                             {"ResourceType": kind, "Tags": tags(**{
                                 "Name": f"{prefix(env)}-{group.name}",
                                 "airhost:group": group.name})} for kind in ("instance", "volume")],
                         "UserData": {"Fn::Base64": _substituted(env, node.user_data(env, group))},
                     }})


def _group(template: Template, env: Environment, group: ResolvedGroup) -> None:
    key = camel(group.name)
    count = ref(count_parameter(group))
    api = "api-server" in group.components
    target_groups: list[Json] = []
    if api and env.ec2.topology == "split":
        target_groups.append(ref("InternalTargetGroup"))
    if api and env.access.mode == "alb":
        target_groups.append(ref("TargetGroupArn"))
    properties: Json = {
        "AutoScalingGroupName": node.group_name(env, group),
        "MinSize": count, "MaxSize": str(group.maximum) if group.queue else count,
        "DesiredCapacity": count,
        "VPCZoneIdentifier": ref("SubnetIds"),
        "LaunchTemplate": {"LaunchTemplateId": ref(f"{key}LaunchTemplate"),
                           "Version": get_att(f"{key}LaunchTemplate", "LatestVersionNumber")},
        "HealthCheckType": "ELB" if target_groups else "EC2",
        "HealthCheckGracePeriod": 600,
        "Tags": [{"Key": "airhost:component", "Value": ",".join(group.components),
                  "PropagateAtLaunch": True}],
    }
    if target_groups:
        properties["TargetGroupARNs"] = target_groups
    if group.queue:
        properties["LifecycleHookSpecificationList"] = [{
            "LifecycleHookName": node.DRAIN_HOOK,
            "LifecycleTransition": "autoscaling:EC2_INSTANCE_TERMINATING",
            "HeartbeatTimeout": node.DRAIN_SECONDS, "DefaultResult": "CONTINUE"}]
    template.add(f"{key}Group", "AWS::AutoScaling::AutoScalingGroup",
                 f"keeps group {group.name} running: {', '.join(group.components)}", properties,
                 UpdatePolicy={"AutoScalingRollingUpdate": {
                     "MaxBatchSize": 1, "MinInstancesInService": 0, "PauseTime": "PT10M"}})


def _scaling(template: Template, env: Environment, group: ResolvedGroup) -> None:
    key, queue = camel(group.name), group.queue or "default"
    per_worker = env.workers.tasks_per_worker if queue == "default" else \
        env.workers.queues[queue].tasks_per_worker
    adjustments = []
    for step in scale_out_steps(per_worker, group.minimum, group.maximum):
        adjustment: Json = {"MetricIntervalLowerBound": step.lower, "ScalingAdjustment": step.workers}
        if step.upper is not None:
            adjustment["MetricIntervalUpperBound"] = step.upper
        adjustments.append(adjustment)
    template.add(f"{key}ScaleOut", "AWS::AutoScaling::ScalingPolicy",
                 f"{key}: ceil((queued + running) / {per_worker}) workers, within min..max", {
                     "AutoScalingGroupName": ref(f"{key}Group"), "PolicyType": "StepScaling",
                     "AdjustmentType": "ExactCapacity", "EstimatedInstanceWarmup": 300,
                     "MetricAggregationType": "Maximum", "StepAdjustments": adjustments})
    template.add(f"{key}ScaleIn", "AWS::AutoScaling::ScalingPolicy", f"{key}: back to min when idle", {
        "AutoScalingGroupName": ref(f"{key}Group"), "PolicyType": "StepScaling",
        "AdjustmentType": "ExactCapacity", "MetricAggregationType": "Maximum",
        "StepAdjustments": [{"MetricIntervalUpperBound": 0, "ScalingAdjustment": group.minimum}]})
    schedulers = env.ec2.schedulers
    template.add(f"{key}BacklogAlarm", "AWS::CloudWatch::Alarm", f"{key}: tasks are waiting or running", {
        "AlarmDescription": f"{prefix(env)} {key}: Celery backlog above zero",
        "Metrics": backlog_queries(env, queue, "Sum", COLLECTION_SECONDS, schedulers),
        "ComparisonOperator": "GreaterThanThreshold", "Threshold": 0,
        "EvaluationPeriods": 1, "DatapointsToAlarm": 1, "TreatMissingData": "notBreaching",
        "AlarmActions": [ref(f"{key}ScaleOut")]})
    template.add(f"{key}IdleAlarm", "AWS::CloudWatch::Alarm", f"{key}: nothing queued for ten minutes", {
        "AlarmDescription": f"{prefix(env)} {key}: Celery queue idle",
        "Metrics": backlog_queries(env, queue, "Maximum", 60, schedulers),
        "ComparisonOperator": "LessThanOrEqualToThreshold", "Threshold": 0,
        "EvaluationPeriods": 10, "TreatMissingData": "breaching",
        "AlarmActions": [ref(f"{key}ScaleIn")]})


def _outputs(template: Template, env: Environment, groups: list[ResolvedGroup]) -> None:
    template.output("LogGroupName", ref("LogGroup"), "log group of every component (streams "
                    "<component>/<instance id>)")
    template.output("InstanceRoleArn", get_att("InstanceRole", "Arn"), "the nodes' role")
    pairs = [join("=", [group.name, ref(f"{camel(group.name)}Group")]) for group in groups]
    template.output("Groups", join(",", pairs), "group=Auto Scaling group name, for each group")
    template.output("GroupComponents", ";".join(f"{g.name}={','.join(g.components)}" for g in groups),
                    "group=its components")
    utils = next(g for g in groups if "scheduler" in g.components)
    template.output("UtilsGroup", ref(f"{camel(utils.name)}Group"),
                    "the group whose nodes run one-off commands (SSM Run Command)")
    template.output("UtilsLaunchTemplate", ref(f"{camel(utils.name)}LaunchTemplate"),
                    "launch template of a one-off node (the migration of a first deploy)")
    template.output("SubnetIds", join(",", ref("SubnetIds")), "the nodes' subnets, comma-joined")
    wheelhouses = sorted({wheelhouse_parameter(group.architecture) for group in groups})
    template.output("Wheelhouses", join(",", [ref(name) for name in wheelhouses]),
                    "the wheelhouses the nodes install Airflow from (the release's 'image')")
    if env.ec2.topology == "split":
        template.output("ApiUrl", sub(f"http://${{InternalLoadBalancer.DNSName}}:{API_PORT}"),
                        "the API server inside the VPC")
