"""The compute stack of an EKS environment: the cluster, its nodes, and Airflow's AWS identities.

A new cluster keeps Kubernetes secrets encrypted with its own KMS key (rotated yearly), answers
its API privately (publicly as well only for ``eks.public_endpoint_cidrs``), authenticates by
access entries only (the identity that deploys, passed as ``DeployerPrincipalArn``, and
``eks.admins``), and logs its control plane's API, audit and authenticator streams. Its compute is
EKS Auto Mode (AWS runs the node pools, scaling, block storage and load balancing; Pod Identity is
built in) or a managed node group (with the Pod Identity agent add-on). With ``eks.cluster`` the
stack only adds the Pod Identity roles and the database rule to the existing cluster.

The database admits the cluster's security group (every Auto Mode and managed node carries it).
Nothing here must outlive the stack: it can be replaced freely (the data lives in the data stack).
"""

from __future__ import annotations

from airhost.config.models import Environment
from airhost.render.common import (
    Json, Template, get_att, policy_document, prefix, ref, sub,
)
from airhost.render.data import DATABASE_PORT
from airhost.render.eks.identity import pod_identities
from airhost.render.eks.names import cluster_name, queue_prefix
from airhost.render.stacks import Layer, StackTemplate

MANAGED = "arn:${AWS::Partition}:iam::aws:policy/"
ADMIN_POLICY = "arn:${AWS::Partition}:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
AUTO_MODE_CLUSTER_POLICIES = ("AmazonEKSClusterPolicy", "AmazonEKSComputePolicy",
                              "AmazonEKSBlockStoragePolicy", "AmazonEKSLoadBalancingPolicy",
                              "AmazonEKSNetworkingPolicy")
NODE_POLICIES = {"auto": ("AmazonEKSWorkerNodeMinimalPolicy", "AmazonEC2ContainerRegistryPullOnly"),
                 "nodegroup": ("AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy",
                               "AmazonEC2ContainerRegistryPullOnly")}
AMI_TYPES = {"arm64": "AL2023_ARM_64_STANDARD", "x86_64": "AL2023_x86_64_STANDARD"}


def render_compute(env: Environment, config_hash: str) -> StackTemplate:
    new = env.eks.cluster is None
    what = "EKS cluster, its compute" if new else f"existing EKS cluster {env.eks.cluster}"
    template = Template(env, "compute", f"Airflow on EKS: {what} and Pod Identity roles")
    inputs = _parameters(template, env)
    if new:
        _key(template, env)
        _cluster(template, env)
        _access_entries(template, env)
        if env.eks.compute == "nodegroup":
            _nodegroup(template, env)
        cluster: Json | str = ref("Cluster")
        source_group: Json = get_att("Cluster", "ClusterSecurityGroupId")
        depends = ["PodIdentityAgent"] if env.eks.compute == "nodegroup" else []
    else:
        cluster, depends = cluster_name(env), []
        source_group = env.eks.cluster_security_group_id  # type: ignore[assignment]
    template.add("DatabaseIngressFromCluster", "AWS::EC2::SecurityGroupIngress",
                 "Airflow's pods (the cluster's security group) reach PostgreSQL", {
                     "GroupId": ref("DatabaseSecurityGroupId"), "SourceSecurityGroupId": source_group,
                     "IpProtocol": "tcp", "FromPort": DATABASE_PORT, "ToPort": DATABASE_PORT,
                     "Description": "PostgreSQL from the EKS cluster"})
    if env.airflow.executor == "celery":
        template.add("DefaultQueue", "AWS::SQS::Queue", "Celery's default queue", {
            "QueueName": f"{queue_prefix(env)}default", "SqsManagedSseEnabled": True,
            "VisibilityTimeout": 21600, "MessageRetentionPeriod": 1209600})
        template.output("DefaultQueueUrl", ref("DefaultQueue"), "Celery's default queue")
    pod_identities(template, env, cluster, depends)
    template.output("ClusterName", cluster, "the EKS cluster Airflow runs in")
    template.output("Namespace", env.eks.namespace, "Kubernetes namespace of the Helm release")
    if new:
        template.output("ClusterArn", get_att("Cluster", "Arn"), "the EKS cluster's ARN")
        template.output("ClusterEndpoint", get_att("Cluster", "Endpoint"), "the Kubernetes API")
        template.output("ClusterSecurityGroupId", source_group, "the cluster's security group")
    return template.stack(config_hash, inputs=inputs)


def _parameters(template: Template, env: Environment) -> dict[str, tuple[Layer, str]]:
    inputs: dict[str, tuple[Layer, str]] = {
        "DatabaseSecurityGroupId": ("network", "DatabaseSecurityGroupId"),
        "LogsBucket": ("data", "LogsBucket"), "DagsBucket": ("data", "DagsBucket"),
    }
    if env.eks.cluster is None:
        inputs["SubnetIds"] = ("network", "PrivateSubnetIds")
        template.parameter("DeployerPrincipalArn", "String",
                           "the IAM role or user that deploys: made cluster admin (access entry)",
                           AllowedPattern="^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/.+$")
    types = {"SubnetIds": "List<AWS::EC2::Subnet::Id>",
             "DatabaseSecurityGroupId": "AWS::EC2::SecurityGroup::Id"}
    for name, (layer, output) in sorted(inputs.items()):
        template.parameter(name, types.get(name, "String"), f"{output} of the {layer} stack")
    return inputs


def _key(template: Template, env: Environment) -> None:
    root = sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root")
    template.add("SecretsKey", "AWS::KMS::Key", "encrypts the cluster's Kubernetes secrets", {
        "Description": f"Kubernetes secrets of EKS cluster {prefix(env)}",
        "EnableKeyRotation": True,
        "KeyPolicy": policy_document({"Sid": "AccountAdministersTheKey", "Effect": "Allow",
                                      "Principal": {"AWS": root}, "Action": "kms:*",
                                      "Resource": "*"})},
        DeletionPolicy="Delete", UpdateReplacePolicy="Delete")


def _role(template: Template, name: str, service: str, policies: tuple[str, ...],
          description: str, tag_session: bool) -> None:
    actions = ["sts:AssumeRole", "sts:TagSession"] if tag_session else "sts:AssumeRole"
    template.add(name, "AWS::IAM::Role", description, {
        "AssumeRolePolicyDocument": policy_document({
            "Effect": "Allow", "Principal": {"Service": service}, "Action": actions}),
        "ManagedPolicyArns": [sub(MANAGED + policy) for policy in policies]})


def _cluster(template: Template, env: Environment) -> None:
    eks, auto = env.eks, env.eks.compute == "auto"
    policies = AUTO_MODE_CLUSTER_POLICIES if auto else AUTO_MODE_CLUSTER_POLICIES[:1]
    _role(template, "ClusterRole", "eks.amazonaws.com", policies,
          "EKS runs the control plane (and with Auto Mode the nodes) with it", tag_session=True)
    _role(template, "NodeRole", "ec2.amazonaws.com", NODE_POLICIES[eks.compute],
          "every node of the cluster: join it, pull images", tag_session=False)
    vpc: Json = {"SubnetIds": ref("SubnetIds"), "EndpointPrivateAccess": True,
                 "EndpointPublicAccess": bool(eks.public_endpoint_cidrs)}
    if eks.public_endpoint_cidrs:
        vpc["PublicAccessCidrs"] = list(eks.public_endpoint_cidrs)
    properties: Json = {
        "Name": cluster_name(env), "Version": eks.kubernetes_version,
        "RoleArn": get_att("ClusterRole", "Arn"),
        "ResourcesVpcConfig": vpc,
        "EncryptionConfig": [{"Provider": {"KeyArn": get_att("SecretsKey", "Arn")},
                              "Resources": ["secrets"]}],
        "AccessConfig": {"AuthenticationMode": "API",
                         "BootstrapClusterCreatorAdminPermissions": False},
        "Logging": {"ClusterLogging": {"EnabledTypes": [
            {"Type": "api"}, {"Type": "audit"}, {"Type": "authenticator"}]}},
        "UpgradePolicy": {"SupportType": "STANDARD"},
    }
    if auto:
        # Auto Mode owns the add-ons it needs (CNI, DNS, kube-proxy, Pod Identity, storage).
        properties.update({
            "BootstrapSelfManagedAddons": False,
            "ComputeConfig": {"Enabled": True, "NodePools": ["general-purpose", "system"],
                              "NodeRoleArn": get_att("NodeRole", "Arn")},
            "StorageConfig": {"BlockStorage": {"Enabled": True}},
            "KubernetesNetworkConfig": {"ElasticLoadBalancing": {"Enabled": True}},
        })
    template.add("Cluster", "AWS::EKS::Cluster", "the environment's Kubernetes cluster", properties)
    if auto:
        # Auto Mode nodes join through an access entry of type EC2 for the node role.
        template.add("NodeAccess", "AWS::EKS::AccessEntry", "Auto Mode nodes join the cluster", {
            "ClusterName": ref("Cluster"), "PrincipalArn": get_att("NodeRole", "Arn"),
            "Type": "EC2",
            "AccessPolicies": [{"PolicyArn": sub("arn:${AWS::Partition}:eks::aws:cluster-access-"
                                                 "policy/AmazonEKSAutoNodePolicy"),
                                "AccessScope": {"Type": "cluster"}}]})


def _access_entries(template: Template, env: Environment) -> None:
    principals: list[tuple[str, Json | str, str]] = [
        ("DeployerAccess", ref("DeployerPrincipalArn"), "the identity that deploys")]
    principals += [(f"AdminAccess{index}", arn, f"admin {arn}")
                   for index, arn in enumerate(env.eks.admins, start=1)]
    for name, principal, who in principals:
        template.add(name, "AWS::EKS::AccessEntry", f"cluster admin: {who}", {
            "ClusterName": ref("Cluster"), "PrincipalArn": principal, "Type": "STANDARD",
            "AccessPolicies": [{"PolicyArn": sub(ADMIN_POLICY), "AccessScope": {"Type": "cluster"}}]})


def _nodegroup(template: Template, env: Environment) -> None:
    group = env.eks.nodegroup
    template.add("PodIdentityAgent", "AWS::EKS::Addon",
                 "the Pod Identity agent: hands each service account's role to its pods", {
                     "ClusterName": ref("Cluster"), "AddonName": "eks-pod-identity-agent",
                     "ResolveConflicts": "OVERWRITE"})
    template.add("NodeGroup", "AWS::EKS::Nodegroup", "managed EC2 nodes for Airflow's pods", {
        "ClusterName": ref("Cluster"), "NodegroupName": f"{prefix(env)}-nodes",
        "NodeRole": get_att("NodeRole", "Arn"), "Subnets": ref("SubnetIds"),
        "AmiType": AMI_TYPES[group.architecture], "CapacityType": "ON_DEMAND",
        "InstanceTypes": list(group.instance_types), "DiskSize": group.disk_gb,
        "ScalingConfig": {"MinSize": group.min, "MaxSize": group.max,
                          "DesiredSize": max(group.min, 1)},
        "UpdateConfig": {"MaxUnavailable": 1}})
