"""The ``eks`` section of airhost.yaml and the EKS target's rules across sections.

``EksSettings`` is how Airflow runs on EKS: the cluster (a new one, or an existing one by name), its
compute (EKS Auto Mode, or a managed node group), the official Helm chart's version, and each
component's replicas and resources. ``eks_rules`` checks what only holds on EKS, called by the
environment's validation for ``target: eks``.

On EKS the executor is ``kubernetes`` (a pod per task) unless ``airflow.executor`` says otherwise:
``default_executor`` fills it in before validation, so configs that name an executor keep it.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, field_validator, model_validator

from airhost.config.base import StrictModel, _check_cidr

if TYPE_CHECKING:
    from airhost.config.models import Environment

# Kubernetes versions in EKS standard support (14 months from each version's EKS release; newest
# last), as of 2026-12: 1.35 (EKS release 2026-01-28, standard support to 2027-03-27) and 1.36.
# 1.33 left standard support on 2026-07-29 and 1.34 on 2026-12-02: a cluster on them bills extended
# support ($0.60 a cluster-hour instead of $0.10), which airhost does not render. The default is the
# newest.
KUBERNETES_VERSIONS = ("1.35", "1.36")
DEFAULT_KUBERNETES_VERSION = KUBERNETES_VERSIONS[-1]
# The official Apache Airflow Helm chart release airhost renders and tests.
DEFAULT_CHART_VERSION = "1.21.0"
EKS_COMPONENTS = ("api-server", "scheduler", "dag-processor", "triggerer", "worker", "task",
                  "pgbouncer", "statsd")
QUANTITY = re.compile(r"^([0-9]+(\.[0-9]+)?)(m|Ki|Mi|Gi|Ti|k|M|G|T)?$")
CLUSTER_NAME = re.compile(r"^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$")
INSTANCE_TYPE = re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")
QUEUE_NAME = re.compile(r"^[A-Za-z0-9_.\-]{1,80}$")
GRAVITON = re.compile(r"^[a-z]+[0-9]+[a-z]*g[a-z]*\.")  # m7g, c7gn, r8gd: the 'g' marks Graviton


class PodResources(StrictModel):
    """What one pod's container asks for (and is limited to), in Kubernetes quantities."""

    cpu: str = Field("500m", description="CPU request, e.g. 500m or 2")
    memory: str = Field("1Gi", description="memory request and limit, e.g. 1Gi or 512Mi")

    @field_validator("cpu", "memory")
    @classmethod
    def _quantity(cls, value: str) -> str:
        value = str(value)
        if not QUANTITY.match(value):
            raise ValueError(f"'{value}' is not a Kubernetes quantity like 500m, 2, 512Mi or 4Gi")
        return value


class NodeGroupSettings(StrictModel):
    """A managed node group: EC2 instances EKS launches and replaces, scaled between min and max."""

    instance_types: list[str] = Field(default_factory=lambda: ["m7g.large"], min_length=1)
    architecture: Literal["arm64", "x86_64"] = Field(
        "arm64", description="arm64 (Graviton instance types) or x86_64")
    min: int = Field(1, ge=0, le=450)
    max: int = Field(3, ge=1, le=450)
    disk_gb: int = Field(50, ge=20, le=16384, description="root volume of each node (GiB)")

    @field_validator("instance_types")
    @classmethod
    def _types(cls, value: list[str]) -> list[str]:
        for name in value:
            if not INSTANCE_TYPE.match(name):
                raise ValueError(f"'{name}' is not an EC2 instance type like m7g.large")
        return value

    @model_validator(mode="after")
    def _shape(self) -> NodeGroupSettings:
        if self.min > self.max:
            raise ValueError(f"eks.nodegroup.min ({self.min}) is larger than max ({self.max})")
        for name in self.instance_types:
            graviton = bool(GRAVITON.match(name))
            if graviton != (self.architecture == "arm64"):
                raise ValueError(
                    f"eks.nodegroup.instance_types: {name} is {'arm64' if graviton else 'x86_64'} but "
                    f"architecture is {self.architecture}: list instance types of one architecture "
                    "and set architecture to match")
        return self


class EksSettings(StrictModel):
    """How Airflow runs on EKS."""

    compute: Literal["auto", "nodegroup"] = Field(
        "auto", description="auto (EKS Auto Mode: AWS runs nodes, scaling, load balancing, storage) "
                            "or nodegroup (a managed node group)")
    cluster: str | None = Field(
        None, description="run in this existing EKS cluster instead of creating one")
    cluster_security_group_id: str | None = Field(
        None, description="the existing cluster's security group (its pods reach the database "
                          "through it); only with eks.cluster")
    kubernetes_version: str = Field(DEFAULT_KUBERNETES_VERSION, description="e.g. 1.36")
    namespace: str = Field("airflow", description="Kubernetes namespace of the Helm release")
    chart_version: str = Field(DEFAULT_CHART_VERSION,
                               description="version of the official apache-airflow/airflow chart")
    image: Literal["official", "ecr"] = Field(
        "official", description="official (apache/airflow) or ecr (the project's image)")
    ha: bool = Field(False, description="two schedulers and two API servers")
    pgbouncer: bool = Field(True, description="PgBouncer in front of the database")
    rollout_timeout: int = Field(
        900, ge=5, le=7200, description="seconds Helm waits for a release's pods to be ready "
                                        "before it rolls the release back")
    public_endpoint_cidrs: list[str] = Field(
        default_factory=list, description="open the cluster's API endpoint to these networks too "
                                          "(private only when empty)")
    admins: list[str] = Field(
        default_factory=list, description="IAM principal ARNs given cluster admin, besides the "
                                          "identity that deploys")
    nodegroup: NodeGroupSettings = Field(default_factory=NodeGroupSettings)
    replicas: dict[Literal["api-server", "scheduler", "dag-processor", "triggerer", "worker"],
                   int] = Field(default_factory=dict, description="pods per component")
    resources: dict[Literal["api-server", "scheduler", "dag-processor", "triggerer", "worker",
                            "task", "pgbouncer", "statsd"], PodResources] = Field(
        default_factory=dict,
        description="per component; 'task' is each KubernetesExecutor task pod's default")
    task_queues: dict[str, PodResources] = Field(
        default_factory=dict,
        description="KubernetesExecutor task pod size per queue: a task with queue='heavy' runs "
                    "in a pod of eks.task_queues.heavy's size")

    @field_validator("task_queues")
    @classmethod
    def _queues(cls, value: dict[str, PodResources]) -> dict[str, PodResources]:
        for queue in value:
            if not QUEUE_NAME.match(queue):
                raise ValueError(f"'{queue}' is not a queue name: letters, digits, '.', '_' and '-', "
                                 "up to 80 characters")
        return value

    @field_validator("cluster")
    @classmethod
    def _cluster(cls, value: str | None) -> str | None:
        if value is not None and not CLUSTER_NAME.match(value):
            raise ValueError(f"'{value}' is not an EKS cluster name (letters, digits, - and _)")
        return value

    @field_validator("kubernetes_version")
    @classmethod
    def _version(cls, value: str) -> str:
        value = str(value)
        if value not in KUBERNETES_VERSIONS:
            raise ValueError(f"Kubernetes {value} is not one airhost renders for EKS: use one of "
                             + ", ".join(KUBERNETES_VERSIONS))
        return value

    @field_validator("namespace")
    @classmethod
    def _namespace(cls, value: str) -> str:
        if not re.match(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", value):
            raise ValueError(f"'{value}' is not a Kubernetes namespace name (lowercase, digits, -)")
        return value

    @field_validator("chart_version")
    @classmethod
    def _chart_version(cls, value: str) -> str:
        if not re.match(r"^\d+\.\d+\.\d+$", str(value)):
            raise ValueError(f"'{value}' is not a chart version like {DEFAULT_CHART_VERSION}")
        return str(value)

    @field_validator("public_endpoint_cidrs")
    @classmethod
    def _cidrs(cls, value: list[str]) -> list[str]:
        for cidr in value:
            _check_cidr(cidr)
            if cidr.endswith("/0"):
                raise ValueError(
                    f"eks.public_endpoint_cidrs: {cidr} opens the cluster's API to the whole "
                    "internet: list the networks that administer it")
        return value

    @field_validator("admins")
    @classmethod
    def _admins(cls, value: list[str]) -> list[str]:
        for arn in value:
            if not re.match(r"^arn:aws[a-z-]*:iam::\d{12}:(role|user)/.+$", arn):
                raise ValueError(f"'{arn}' is not an IAM role or user ARN")
        return value

    @model_validator(mode="after")
    def _counts(self) -> EksSettings:
        for name, count in self.replicas.items():
            if not 0 <= count <= 20:
                raise ValueError(f"eks.replicas.{name}: {count} is outside 0..20")
        if self.cluster_security_group_id and not self.cluster:
            raise ValueError("eks.cluster_security_group_id is for an existing cluster: "
                             "set eks.cluster too, or leave it out")
        return self

    def replicas_of(self, component: str) -> int:
        """Pods of a component: what eks.replicas says, else 2 schedulers and API servers with ha."""
        if component in self.replicas:
            return self.replicas[component]  # type: ignore[index]
        return 2 if self.ha and component in ("api-server", "scheduler") else 1


def default_executor(data: Any) -> Any:
    """An EKS environment's raw settings with ``airflow.executor: kubernetes`` when none is set."""
    if not isinstance(data, dict) or data.get("target") != "eks":
        return data
    airflow = data.get("airflow")
    if airflow is None:
        return {**data, "airflow": {"executor": "kubernetes"}}
    if isinstance(airflow, dict) and "executor" not in airflow:
        return {**data, "airflow": {**airflow, "executor": "kubernetes"}}
    return data


def eks_rules(env: Environment) -> None:
    """What an EKS environment must hold across its sections; ValueError says the fix."""
    eks, access, executor = env.eks, env.access, env.airflow.executor
    if eks.cluster and not env.network.vpc_id:
        raise ValueError(
            "eks.cluster runs in an existing cluster, whose VPC the database must share: set "
            "network.vpc_id and network.private_subnet_ids to the cluster's VPC and subnets")
    if eks.cluster and not eks.cluster_security_group_id:
        raise ValueError(
            "eks.cluster needs eks.cluster_security_group_id (aws eks describe-cluster --name "
            f"{eks.cluster} --query cluster.resourcesVpcConfig.clusterSecurityGroupId): the "
            "database admits the cluster's pods through it")
    if access.mode == "alb" and eks.compute != "auto" and not eks.cluster:
        raise ValueError(
            "access.mode alb on EKS uses EKS Auto Mode's load balancing, which a managed node "
            "group lacks: set eks.compute: auto, or use access.mode private or tailscale")
    if access.mode == "tailscale" and eks.replicas_of("api-server") > 1:
        raise ValueError(
            "access.mode tailscale serves one API server (one Tailscale node per name): set "
            "eks.replicas.api-server: 1 (or leave eks.ha off), or use access.mode alb")
    if executor == "celery" and eks.image == "official":
        raise ValueError(
            "executor celery on EKS needs Celery's SQS transport (celery[sqs]), which the official "
            "image lacks: set eks.image: ecr, the project's image with it installed")
    if executor == "celery" and env.celery.broker == "redis":
        raise ValueError(
            "celery.broker redis is not available on EKS (the chart's Redis would hold a "
            "password airhost does not generate): use celery.broker: sqs")
    if eks.task_queues and executor != "kubernetes":
        raise ValueError(
            "eks.task_queues sizes KubernetesExecutor task pods, but the executor is "
            f"{executor}: leave it out" + (", or size Celery queues with workers.queues"
                                           if executor == "celery" else ""))
    if "worker" in eks.replicas and executor != "celery":
        raise ValueError(
            "eks.replicas.worker sets Celery workers, but the executor is "
            f"{executor}: leave it out (KubernetesExecutor starts a pod per task)")
    if env.network.egress == "endpoints" and not env.network.vpc_id:
        raise ValueError(
            "network.egress endpoints on EKS leaves nodes no way to pull the chart's images (StatsD, "
            "PgBouncer) from public registries: use network.egress: nat-instance or nat-gateway")
