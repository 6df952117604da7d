"""An environment with ``target: eks``: CloudFormation for AWS, Helm values for the official chart.

``render_stacks(env, config_hash) -> list[StackTemplate]`` is pure and returns the stacks in deploy
order, named ``{project}-{env}-{layer}``::

    network → data → compute

network and data are the shared stacks (``airhost.render.ecs`` documents their outputs); there is
no access stack: with ``access.mode alb`` the load balancer is EKS Auto Mode's, made from the
Ingress the chart renders (see ``airhost.render.eks.values``).

compute — the EKS cluster, its compute and Airflow's Pod Identity roles (``compute.py``)
    Parameters (``inputs``): ``SubnetIds`` ← network.PrivateSubnetIds (new cluster only),
    ``DatabaseSecurityGroupId`` ← network, ``LogsBucket`` and ``DagsBucket`` ← data.
    ``DeployerPrincipalArn`` (new cluster only): the IAM role or user that deploys, made cluster
    admin through an access entry; the deploy passes the caller's identity.
    Outputs: ``ClusterName``, ``Namespace``; one ``<Component>RoleArn`` per service account
    (``ApiServerRoleArn``, ``SchedulerRoleArn``, ``DagProcessorRoleArn``, ``TriggererRoleArn``,
    ``WorkerRoleArn``); new cluster: ``ClusterArn``, ``ClusterEndpoint``,
    ``ClusterSecurityGroupId``; Celery: ``DefaultQueueUrl``.

After the stacks, the deploy creates the namespace and the Kubernetes secrets named in
``airhost.render.eks.names`` from the data stack's Secrets Manager secrets, runs the migration
itself, and installs the chart (``apache-airflow/airflow`` at ``eks.chart_version``) with
``render_values(env, facts)``. ``airhost render`` renders the values with named placeholders for
the deploy-time facts (``placeholder_facts``).
"""

from __future__ import annotations

from airhost.config.models import Environment
from airhost.render.data import render_data
from airhost.render.eks.compute import render_compute
from airhost.render.network import NetworkNeeds, render_network
from airhost.render.stacks import Layer, StackTemplate

__all__ = ["LAYERS", "network_needs", "render_stacks"]

LAYERS: tuple[Layer, ...] = ("network", "data", "compute")


def network_needs(env: Environment) -> NetworkNeeds:
    """Interface endpoints EKS nodes use without a NAT gateway, beyond every target's."""
    return NetworkNeeds(endpoints=("eks", "eks-auth", "sts"))


def render_stacks(env: Environment, config_hash: str) -> list[StackTemplate]:
    """The CloudFormation stacks of an EKS environment, in deploy order."""
    return [render_network(env, config_hash, network_needs(env)), render_data(env, config_hash),
            render_compute(env, config_hash)]
