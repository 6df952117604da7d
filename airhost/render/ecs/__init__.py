"""CloudFormation for an environment with ``target: ecs``: network, data, (access,) airflow.

``render_stacks(env, config_hash) -> list[StackTemplate]`` is pure: the same environment and hash give
the same templates, byte for byte. It returns the stacks **in deploy order**; create or update them one
after the other, filling each stack's ``inputs`` (parameter → (layer, output)) from the outputs of the
stacks before it, and its ``parameters`` (known at render time) as given. No exports: a lower stack can
always change. Every template is stamped in ``Metadata.airhost`` (version, config hash, project,
environment, layer) and every resource says what it is for in ``Metadata.Description``.

Size: templates are sent compact (no spaces, ~6% smaller than ``json.dumps`` defaults). The
airflow stack of a split topology with Celery queues is the largest (~46 KB compact for the
biggest example) and grows ~5 KB per extra worker queue: above CloudFormation's 51,200-byte
``TemplateBody`` limit ``airhost.aws.templates`` uploads it to S3 and passes ``TemplateURL``
(limit 1,000,000 bytes).

Deploy order and names (``{project}-{env}-{layer}``)::

    network → data → access (only with access.mode alb) → airflow

The access stack comes *before* airflow when it exists: ECS registers the API server's tasks with the
load balancer's target group when the service is created, and Airflow needs the public URL in its
settings, so the airflow stack takes both from the access stack. With ``private`` and ``tailscale``
access there is no access stack (the Tailscale sidecar lives in the API server's task).

network — VPC, subnets, NAT or VPC endpoints, security groups
    Parameters (only with an existing VPC, values in ``parameters``): ``VpcId``,
    ``PrivateSubnetIds`` (comma-joined), ``PublicSubnetIds`` (comma-joined, when given).
    Outputs: ``VpcId``; ``PrivateSubnetIds`` (comma-joined, two AZs); ``PublicSubnetIds``
    (comma-joined; only when there are public subnets: a new VPC with a NAT gateway or alb access, or
    an existing VPC given public_subnet_ids); ``TaskSecurityGroupId`` (every Airflow task);
    ``DatabaseSecurityGroupId``; ``LoadBalancerSecurityGroupId`` (access.mode alb only).
    A new VPC with ``nat: none`` has no route to the internet at all: its tasks reach AWS through
    VPC endpoints and pull the image from ECR (the config then requires ``ecs.image: ecr``).

data — RDS PostgreSQL, generated secrets, S3 buckets, ECR repository (termination protection on)
    Parameters (all ``inputs``): ``PrivateSubnetIds`` ← network.PrivateSubnetIds,
    ``DatabaseSecurityGroupId`` ← network.DatabaseSecurityGroupId.
    Outputs: ``DatabaseEndpoint``, ``DatabasePort``, ``DatabaseName``, ``DatabaseInstanceId``;
    secret ARNs: ``DatabaseSecretArn`` (JSON: username, password), ``DatabaseUrlSecretArn`` (the
    SQLAlchemy URL Airflow reads), ``FernetKeySecretArn``, ``JwtSecretArn``,
    ``ApiSecretKeySecretArn``, ``AdminPasswordSecretArn`` (JSON: username, password — the deploy creates
    the Airflow admin user with it); ``LogsBucket``, ``DagsBucket`` (bucket names; DAG bundle objects
    go under ``dags/``, task logs under ``task-logs/``); ``EcrRepositoryUri``, ``EcrRepositoryName``.

access — an internet-facing ALB (access.mode alb only)
    Parameters (``inputs``): ``VpcId``, ``PublicSubnetIds``, ``LoadBalancerSecurityGroupId``
    ← network.
    Outputs: ``Url`` (https://, the access.domain when set, else the ALB's DNS name),
    ``LoadBalancerDnsName``, ``TargetGroupArn``.

airflow — ECS cluster, capacity, task definitions, services, log group, roles, autoscaling
    Parameters:
      ``Image`` — the Airflow image of every Airflow container. Default: the official
      ``apache/airflow:<version>-python<py>``; with ``ecs.image: ecr`` there is no default and the deploy
      passes the pushed image (``<EcrRepositoryUri>:<tag>`` or ``...@sha256:...``).
      ``inputs`` from network: ``SubnetIds`` ← PrivateSubnetIds, ``TaskSecurityGroupId``, and ``VpcId``
      only with ``split`` topology or Managed Instances (DNS namespace, instances' security group).
      ``inputs`` from data: ``DatabaseUrlSecretArn``, ``FernetKeySecretArn``, ``JwtSecretArn``,
      ``ApiSecretKeySecretArn``, ``AdminPasswordSecretArn``, ``LogsBucket``, ``DagsBucket``,
      ``EcrRepositoryName``.
      ``inputs`` from access (alb only): ``TargetGroupArn``, ``PublicUrl`` ← access.Url.
      ``DesiredCount<Service>`` (type Number, template default ``0``), one per service:
      ``DesiredCountStandalone``; or ``DesiredCountApiServer``, ``DesiredCountScheduler``,
      ``DesiredCountDagProcessor``, ``DesiredCountTriggerer``; with Celery also ``DesiredCountWorker``
      and ``DesiredCountWorker<Queue>`` per extra queue (e.g. ``DesiredCountWorkerHeavy``).
      ``StackTemplate.parameters`` carries the configured steady-state count of each (api_servers,
      schedulers, 1, 1, workers.min). On the FIRST create nothing may start before
      ``airflow db migrate`` has run: the deploy creates the stack with every ``DesiredCount*`` at 0,
      runs the bootstrap on the utils task definition, then updates the stack with the counts from
      ``parameters`` — and passes them on every later update (the template default would scale to 0).
      Celery worker counts then move with their queue's backlog (Application Auto Scaling, min..max).
    Outputs: ``ClusterName``, ``ClusterArn``; ``CapacityProvider`` (``FARGATE`` or the Managed
      Instances capacity provider's name: use it in run_task's ``capacityProviderStrategy``);
      ``UtilsTaskDefinitionArn``; ``ContainerName`` (``airflow``: the container to override in
      run_task, the same in every task definition); ``LogGroupName`` (streams
      ``<service>/airflow/<task id>``, e.g. ``utils/airflow/0123...``); ``TaskSecurityGroupId``,
      ``SubnetIds`` (comma-joined) for run_task's awsvpcConfiguration; ``Image``; one
      ``Service<Service>`` per service with its ECS service name (``ServiceStandalone``, or
      ``ServiceApiServer``, ``ServiceScheduler``, ``ServiceDagProcessor``, ``ServiceTriggerer``,
      ``ServiceWorker``, ``ServiceWorker<Queue>``); and ``Services``: ``component=serviceName,...``
      for all of them (components: standalone, api-server, scheduler, dag-processor, triggerer,
      worker, worker-<queue>).
    With ``executor: ecs`` there is also a ``worker`` task definition (family
    ``{project}-{env}-worker``) that Airflow's ECS executor runs, one task per task instance.

The utils task definition runs any Airflow CLI command (``command`` override: the Airflow arguments,
e.g. ``["db", "migrate"]``; the official image's entrypoint prefixes ``airflow``). It has the same
environment and secrets as the components plus ``AIRHOST_ADMIN_USERNAME`` and
``AIRHOST_ADMIN_PASSWORD`` from the admin secret, so the bootstrap can run (command override)
``["bash", "-c", "airflow users create --username \"$AIRHOST_ADMIN_USERNAME\"
--password \"$AIRHOST_ADMIN_PASSWORD\" --role Admin ..."]``.
"""

from __future__ import annotations

from airhost.config.models import Environment
from airhost.render.access import render_access
from airhost.render.data import render_data
from airhost.render.ecs.airflow import render_airflow
from airhost.render.network import NetworkNeeds, render_network
from airhost.render.stacks import StackTemplate

__all__ = ["network_needs", "render_stacks"]


def network_needs(env: Environment) -> NetworkNeeds:
    """The interface endpoints ECS needs without a NAT gateway, beyond every target's."""
    endpoints = []
    if env.ecs.capacity == "managed-instances":
        endpoints += ["ecs", "ecs-agent", "ecs-telemetry"]
    if env.ecs.exec:
        endpoints.append("ssmmessages")
    if env.airflow.executor == "ecs":
        endpoints.append("ecs")
    return NetworkNeeds(endpoints=tuple(endpoints))


def render_stacks(env: Environment, config_hash: str) -> list[StackTemplate]:
    """The CloudFormation stacks of an ECS environment, in deploy order."""
    stacks = [render_network(env, config_hash, network_needs(env)), render_data(env, config_hash)]
    if env.access.mode == "alb":
        stacks.append(render_access(env, config_hash, target_type="ip"))
    stacks.append(render_airflow(env, config_hash))
    return stacks
