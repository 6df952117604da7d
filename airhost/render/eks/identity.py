"""Pod Identity: an AWS role per Airflow service account, each allowed only what its pods do.

- api-server: read task logs (the UI shows them);
- scheduler: connections and variables under the environment's SSM path (and, with Celery, send
  to its queues);
- dag-processor: read the DAG bundle, connections and variables;
- triggerer: write and read task logs (deferred tasks log too), connections and variables;
- worker (Celery workers and every KubernetesExecutor task pod): task logs, the DAG bundle,
  connections and variables (with Celery, receive from its queues).

EKS Pod Identity hands the role to the pods of the service account: no OIDC provider, no
thumbprint, no annotation on the service account. The roles trust ``pods.eks.amazonaws.com`` with
``sts:TagSession``, which Pod Identity needs. StatsD metrics go to the chart's own StatsD exporter
inside the cluster, so no pod needs a CloudWatch permission.
"""

from __future__ import annotations

from airhost.config.models import Environment
from airhost.render.common import Json, Template, allow, get_att, policy_document, sub
from airhost.render.data import BUNDLE_PREFIX, TASK_LOGS_PREFIX
from airhost.render.eks.names import SERVICE_ACCOUNTS, cluster_name, queue_prefix

POD_IDENTITY = "pods.eks.amazonaws.com"


def secrets_prefix(env: Environment) -> str:
    """SSM path under which Airflow finds connections and variables (``.../connections/<id>``)."""
    return f"/airhost/{env.project}/{env.name}"


def _statements(env: Environment) -> dict[str, list[Json]]:
    logs = "arn:${AWS::Partition}:s3:::${LogsBucket}"
    dags = "arn:${AWS::Partition}:s3:::${DagsBucket}"
    read_logs = [allow(["s3:ListBucket"], sub(logs), "ListTaskLogs"),
                 allow(["s3:GetObject"], sub(f"{logs}/{TASK_LOGS_PREFIX}/*"), "ReadTaskLogs")]
    write_logs = [allow(["s3:ListBucket"], sub(logs), "ListTaskLogs"),
                  allow(["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                        sub(f"{logs}/{TASK_LOGS_PREFIX}/*"), "TaskLogs")]
    bundle = [allow(["s3:ListBucket"], sub(dags), "ListDagBundle"),
              allow(["s3:GetObject", "s3:GetObjectVersion"], sub(f"{dags}/{BUNDLE_PREFIX}/*"),
                    "ReadDagBundle")]
    parameters = [allow(["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"],
                        sub("arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter"
                            f"{secrets_prefix(env)}/*"), "ConnectionsAndVariables")]
    statements = {
        "api-server": read_logs,
        "scheduler": list(parameters),
        "dag-processor": bundle + parameters,
        "triggerer": write_logs + parameters,
        "worker": write_logs + bundle + parameters,
    }
    if env.airflow.executor == "celery":
        queues = sub(f"arn:${{AWS::Partition}}:sqs:${{AWS::Region}}:${{AWS::AccountId}}:"
                     f"{queue_prefix(env)}*")
        use = ["sqs:GetQueueAttributes", "sqs:GetQueueUrl"]
        statements["scheduler"].append(allow(use + ["sqs:SendMessage"], queues, "SendTasks"))
        statements["worker"].append(allow(use + ["sqs:ChangeMessageVisibility", "sqs:DeleteMessage",
                                                 "sqs:ReceiveMessage", "sqs:SendMessage"],
                                          queues, "ReceiveTasks"))
        # Celery lists queues by name prefix when it starts; ListQueues has no resource to scope to.
        for component in ("scheduler", "worker"):
            statements[component].append(allow(["sqs:ListQueues"], "*", "FindQueues"))
    return statements


def pod_identities(template: Template, env: Environment, cluster: Json | str,
                   depends_on: list[str]) -> None:
    """A role and a Pod Identity association per service account of the Helm release."""
    cluster_ref = cluster if cluster else cluster_name(env)
    for component, statements in _statements(env).items():
        key = "".join(part.title() for part in component.split("-"))
        account = SERVICE_ACCOUNTS[component]
        template.add(f"{key}Role", "AWS::IAM::Role", f"AWS permissions of Airflow's {component} pods", {
            "AssumeRolePolicyDocument": policy_document({
                "Effect": "Allow", "Principal": {"Service": POD_IDENTITY},
                "Action": ["sts:AssumeRole", "sts:TagSession"]}),
            "Policies": [{"PolicyName": f"airflow-{component}",
                          "PolicyDocument": policy_document(*statements)}]})
        attributes = {"DependsOn": depends_on} if depends_on else {}
        template.add(f"{key}PodIdentity", "AWS::EKS::PodIdentityAssociation",
                     f"pods of service account {account} get the {component} role", {
                         "ClusterName": cluster_ref, "Namespace": env.eks.namespace,
                         "ServiceAccount": account, "RoleArn": get_att(f"{key}Role", "Arn")},
                     **attributes)
        template.output(f"{key}RoleArn", get_att(f"{key}Role", "Arn"),
                        f"role of service account {account}")
