"""IAM roles of the airflow stack, each scoped to this environment's own resources.

- execution role: what ECS needs to start a task (pull the image, write its logs, read its secrets);
- task role: what Airflow itself does (task logs and DAG bundles in S3, connections and variables
  under its SSM path, the Celery queues and their backlog metrics, ECS Exec, the ECS executor's tasks);
- with Managed Instances, the infrastructure role ECS uses to run instances and the instances' role.
"""

from __future__ import annotations

from airhost.config.models import Environment
from airhost.render.ecs.backlog import put_metrics_statement
from airhost.render.common import (
    Json, Template, allow, assume_role, get_att, policy_document, prefix, ref, sub,
)
from airhost.render.data import AIRFLOW_SECRET_ARNS, BUNDLE_PREFIX, TASK_LOGS_PREFIX
from airhost.render.ecs.tasks import secrets_prefix

MANAGED = "arn:${AWS::Partition}:iam::aws:policy/"


def execution_role(template: Template, env: Environment) -> None:
    secrets: list[object] = [ref(name) for name in sorted(set(AIRFLOW_SECRET_ARNS.values()))]
    secrets.append(ref("AdminPasswordSecretArn"))
    if env.access.mode == "tailscale" and env.access.tailscale:
        secrets.append(env.access.tailscale.auth_key_secret_arn)
    repository = sub("arn:${AWS::Partition}:ecr:${AWS::Region}:${AWS::AccountId}:repository/"
                     "${EcrRepositoryName}")
    statements = [
        allow(["logs:CreateLogStream", "logs:PutLogEvents"], get_att("LogGroup", "Arn"), "WriteLogs"),
        allow(["secretsmanager:GetSecretValue"], secrets, "ReadSecrets"),
        # GetAuthorizationToken has no resource to scope to; pulls are limited to the repository.
        allow(["ecr:GetAuthorizationToken"], "*", "LogInToEcr"),
        allow(["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
              repository, "PullImage"),
    ]
    template.add("ExecutionRole", "AWS::IAM::Role",
                 "ECS starts tasks with it: image pull, log streams, secrets injection", {
                     "AssumeRolePolicyDocument": assume_role("ecs-tasks.amazonaws.com"),
                     "Policies": [{"PolicyName": "start-airflow-tasks",
                                   "PolicyDocument": policy_document(*statements)}]})


def task_role(template: Template, env: Environment) -> None:
    logs, dags = "${LogsBucket}", "${DagsBucket}"
    parameters = sub("arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter"
                     f"{secrets_prefix(env)}/*")
    statements = [
        allow(["s3:ListBucket"], [sub(f"arn:${{AWS::Partition}}:s3:::{logs}"),
                                  sub(f"arn:${{AWS::Partition}}:s3:::{dags}")], "ListBuckets"),
        allow(["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
              sub(f"arn:${{AWS::Partition}}:s3:::{logs}/{TASK_LOGS_PREFIX}/*"), "TaskLogs"),
        allow(["s3:GetObject", "s3:GetObjectVersion"],
              sub(f"arn:${{AWS::Partition}}:s3:::{dags}/{BUNDLE_PREFIX}/*"), "ReadDagBundle"),
        allow(["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"], parameters,
              "ConnectionsAndVariables"),
    ]
    if env.ecs.exec:
        statements.append(allow(["ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel",
                                 "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel"],
                                "*", "EcsExec"))
    if env.airflow.executor == "celery":
        queues = sub(f"arn:${{AWS::Partition}}:sqs:${{AWS::Region}}:${{AWS::AccountId}}:{prefix(env)}-*")
        statements.append(allow(["sqs:ChangeMessageVisibility", "sqs:DeleteMessage",
                                 "sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:ReceiveMessage",
                                 "sqs:SendMessage"], queues, "CeleryQueues"))
        # Celery lists queues by name prefix when it starts; ListQueues has no resource to scope to.
        statements.append(allow(["sqs:ListQueues"], "*", "FindCeleryQueues"))
        statements.append(put_metrics_statement(env))
    template.add("TaskRole", "AWS::IAM::Role", "Airflow's own AWS permissions, inside every task", {
        "AssumeRolePolicyDocument": assume_role("ecs-tasks.amazonaws.com"),
        "Policies": [{"PolicyName": "airflow", "PolicyDocument": policy_document(*statements)}]})
    if env.airflow.executor == "ecs":
        # A policy of its own: it names the task role's ARN, which the role itself cannot.
        executor: list[Json] = []
        _ecs_executor_statements(env, executor)
        template.add("EcsExecutorPolicy", "AWS::IAM::Policy",
                     "the ECS executor runs each Airflow task as an ECS task", {
                         "PolicyName": "ecs-executor", "Roles": [ref("TaskRole")],
                         "PolicyDocument": policy_document(*executor)})


def _ecs_executor_statements(env: Environment, statements: list[Json]) -> None:
    cluster = sub("arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:cluster/" + prefix(env))
    family = sub("arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:task-definition/"
                 f"{prefix(env)}-worker:*")
    statements.append(allow(["ecs:RunTask"], family, "RunAirflowTasks", ArnEquals={"ecs:cluster": cluster}))
    statements.append(allow(["ecs:DescribeTasks", "ecs:StopTask"],
                            sub("arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:task/"
                                f"{prefix(env)}/*"), "WatchAirflowTasks"))
    statements.append(allow(["ecs:DescribeTaskDefinition"], "*", "ReadTaskDefinitions"))
    statements.append(allow(["iam:PassRole"], [get_att("ExecutionRole", "Arn"), get_att("TaskRole", "Arn")],
                            "PassTaskRoles", StringEquals={"iam:PassedToService": "ecs-tasks.amazonaws.com"}))


def instance_roles(template: Template, env: Environment) -> None:
    """Roles for ECS Managed Instances: ECS runs the instances, the instances join the cluster."""
    template.add("InstanceRole", "AWS::IAM::Role", "role of the Managed Instances (joins the cluster)", {
        "AssumeRolePolicyDocument": assume_role("ec2.amazonaws.com"),
        "ManagedPolicyArns": [sub(MANAGED + "AmazonECSInstanceRolePolicyForManagedInstances")]})
    template.add("InstanceProfile", "AWS::IAM::InstanceProfile", "instance profile of the Managed Instances",
                 {"Roles": [ref("InstanceRole")]})
    # The managed policy only lets ECS pass roles named ecsInstanceRole*; this grant lets it pass
    # ours without imposing a name (named roles cannot be replaced by CloudFormation).
    template.add("InfrastructureRole", "AWS::IAM::Role", "ECS launches and stops Managed Instances with it", {
        "AssumeRolePolicyDocument": assume_role("ecs.amazonaws.com"),
        "ManagedPolicyArns": [sub(MANAGED + "AmazonECSInfrastructureRolePolicyForManagedInstances")],
        "Policies": [{"PolicyName": "pass-instance-role", "PolicyDocument": policy_document(
            allow(["iam:PassRole"], get_att("InstanceRole", "Arn"), "PassInstanceRole",
                  StringEquals={"iam:PassedToService": "ec2.amazonaws.com"}))}]})
