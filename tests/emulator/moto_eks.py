"""An emulator gap: moto's CloudFormation skips every EKS resource.

``AWS::EKS::Cluster``, ``AWS::EKS::Nodegroup``, ``AWS::EKS::AccessEntry``, ``AWS::EKS::Addon`` and
``AWS::EKS::PodIdentityAssociation`` are silently skipped by moto's CloudFormation (the compute
stack's ``GetAtt Cluster.*`` outputs then vanish), although moto's EKS API works. These models
fill the gap the way CloudFormation does on AWS:

* the cluster is created through moto's EKS API, so ``DescribeCluster`` answers for it; its
  endpoint and certificate authority are those of the Kubernetes API double
  (``tests/emulator/kubernetes_api.py``) named in ``KUBERNETES`` — on AWS they are the cluster's
  own API server and CA; its ``ClusterSecurityGroupId`` is a real security group of the VPC
  (EKS creates one), so the database rule that names it can be created;
* a managed node group through moto's EKS API;
* access entries, the Pod Identity agent add-on and Pod Identity associations have no moto API
  that airhost reads: stand-ins with the ARNs AWS would give (``ACCESS_ENTRIES`` records each
  entry's principal, so a test can check who was made cluster admin).

Also: moto's ``GetCallerIdentity`` gives an IAM user's ARN as ``arn:aws:sts::…:user/…``; AWS
gives ``arn:aws:iam::…:user/…`` (only assumed roles are ``sts``): the IAM form is answered.

Imported by the emulator's conftest before the server starts (moto lists the direct subclasses
of ``CloudFormationModel``).
"""

from __future__ import annotations

import base64
from typing import Any

from moto.core.common_models import CloudFormationModel
from moto.eks.models import eks_backends
from moto.sts import models as sts_models

KUBERNETES: dict[str, Any] = {}  # "url", "ca_pem": the double every new cluster points at
ACCESS_ENTRIES: list[dict[str, str]] = []  # {"cluster", "principal", "type"} in creation order


class EmulatedCluster(CloudFormationModel):
    __module__ = "moto.eks.emulated"  # moto's model registry reads the service from it

    def __init__(self, name: str, arn: str, endpoint: str, ca: str, security_group: str) -> None:
        self.name, self.arn, self.endpoint, self.ca, self.security_group = (
            name, arn, endpoint, ca, security_group)

    @staticmethod
    def cloudformation_name_type() -> str:
        return "Name"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::EKS::Cluster"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in ("Arn", "Endpoint", "CertificateAuthorityData", "ClusterSecurityGroupId",
                        "OpenIdConnectIssuerUrl")

    def get_cfn_attribute(self, attribute_name: str) -> str:
        return {"Arn": self.arn, "Endpoint": self.endpoint, "CertificateAuthorityData": self.ca,
                "ClusterSecurityGroupId": self.security_group,
                "OpenIdConnectIssuerUrl": ""}[attribute_name]

    @property
    def physical_resource_id(self) -> str:
        return self.name

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id,
                                        region_name, **kwargs):
        from moto.ec2.models import ec2_backends

        properties = cloudformation_json["Properties"]
        name = properties.get("Name") or resource_name
        vpc_config = properties.get("ResourcesVpcConfig", {})
        backend = eks_backends[account_id][region_name]
        cluster = backend.create_cluster(
            name=name, role_arn=properties["RoleArn"],
            resources_vpc_config={"subnetIds": vpc_config.get("SubnetIds", [])},
            version=properties.get("Version"),
            encryption_config=[{"resources": e.get("Resources", []), "provider": {
                "keyArn": e.get("Provider", {}).get("KeyArn", "")}}
                for e in properties.get("EncryptionConfig", [])])
        cluster.endpoint = KUBERNETES["url"]
        cluster.certificate_authority = {"data": base64.b64encode(KUBERNETES["ca_pem"]).decode()}
        ec2 = ec2_backends[account_id][region_name]
        subnets = vpc_config.get("SubnetIds") or []
        vpc = ec2.get_subnet(subnets[0]).vpc_id if subnets else None
        group = ec2.create_security_group(f"eks-cluster-sg-{name}", "EKS created security group "
                                          "applied to ENI that is attached to EKS Control Plane "
                                          "master nodes, as well as any managed workloads.",
                                          vpc_id=vpc)
        return cls(name, cluster.arn, cluster.endpoint, cluster.certificate_authority["data"],
                   group.id)

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id,
                                        region_name):
        name = cloudformation_json.get("Properties", {}).get("Name") or resource_name
        eks_backends[account_id][region_name].delete_cluster(name)


class EmulatedNodegroup(CloudFormationModel):
    __module__ = "moto.eks.emulated"

    def __init__(self, arn: str, cluster: str, name: str) -> None:
        self.arn, self.cluster, self.name = arn, cluster, name

    @staticmethod
    def cloudformation_name_type() -> str:
        return "NodegroupName"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::EKS::Nodegroup"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in ("Arn", "ClusterName", "NodegroupName")

    def get_cfn_attribute(self, attribute_name: str) -> str:
        return {"Arn": self.arn, "ClusterName": self.cluster,
                "NodegroupName": self.name}[attribute_name]

    @property
    def physical_resource_id(self) -> str:
        return f"{self.cluster}/{self.name}"

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id,
                                        region_name, **kwargs):
        properties = cloudformation_json["Properties"]
        scaling = properties.get("ScalingConfig", {})
        group = eks_backends[account_id][region_name].create_nodegroup(
            cluster_name=properties["ClusterName"], node_role=properties["NodeRole"],
            nodegroup_name=properties.get("NodegroupName") or resource_name,
            subnets=properties["Subnets"], instance_types=properties.get("InstanceTypes"),
            scaling_config={"minSize": int(scaling.get("MinSize", 1)),
                            "maxSize": int(scaling.get("MaxSize", 1)),
                            "desiredSize": int(scaling.get("DesiredSize", 1))},
            ami_type=properties.get("AmiType"), capacity_type=properties.get("CapacityType"),
            disk_size=properties.get("DiskSize"))
        return cls(group.arn, properties["ClusterName"], group.nodegroup_name)


class EmulatedEksStandIn(CloudFormationModel):
    """Access entries, add-ons and Pod Identity associations: an ARN, nothing else to read."""

    __module__ = "moto.eks.emulated"
    resource_type = "AWS::EKS::AccessEntry"

    def __init__(self, arn: str) -> None:
        self.arn = arn

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @classmethod
    def cloudformation_type(cls) -> str:
        return cls.resource_type

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return True

    def get_cfn_attribute(self, attribute_name: str) -> str:
        return self.arn

    @property
    def physical_resource_id(self) -> str:
        return self.arn

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id,
                                        region_name, **kwargs):
        properties = cloudformation_json.get("Properties", {})
        cluster = properties.get("ClusterName", "")
        if cls.resource_type == "AWS::EKS::AccessEntry":
            ACCESS_ENTRIES.append({"cluster": cluster, "principal": properties.get("PrincipalArn", ""),
                                   "type": properties.get("Type", "STANDARD")})
        kind = cls.resource_type.rsplit("::", 1)[-1].lower()
        return cls(f"arn:aws:eks:{region_name}:{account_id}:{kind}/{cluster}/{resource_name}")


class EmulatedAddon(EmulatedEksStandIn, CloudFormationModel):  # moto lists direct subclasses
    __module__ = "moto.eks.emulated"
    resource_type = "AWS::EKS::Addon"


class EmulatedPodIdentity(EmulatedEksStandIn, CloudFormationModel):
    __module__ = "moto.eks.emulated"
    resource_type = "AWS::EKS::PodIdentityAssociation"


def _iam_user_arn() -> None:
    original = sts_models.STSBackend.get_caller_identity

    def get_caller_identity(self, access_key_id, region):
        user_id, arn, account = original(self, access_key_id, region)
        if arn.startswith("arn:aws:sts::") and ":user/" in arn:
            arn = arn.replace("arn:aws:sts::", "arn:aws:iam::", 1)
        return user_id, arn, account

    sts_models.STSBackend.get_caller_identity = get_caller_identity


_iam_user_arn()
