"""CloudFormation for an environment with ``target: ecs``: network, data, (access,) airflow.

``render_stacks(env, config_hash) -> list[StackTemplate]`` is pure: the same environment and hash give
the same templates, byte for byte. It returns the stacks **in deploy order**; create or update them one
after the other, filling each stack's ``inputs`` (parameter → (layer, output)) from the outputs of the
stacks before it, and its ``parameters`` (known at render time) as given. No exports: a lower stack can
always change. Every template is stamped in ``Metadata.airhost`` (version, config hash, project,
environment, layer) and every resource says what it is for in ``Metadata.Description``.

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
    (comma-joined; new VPC, or an existing one with public subnets); ``TaskSecurityGroupId`` (every
    Airflow task); ``DatabaseSecurityGroupId``; ``LoadBalancerSecurityGroupId`` (access.mode alb only).

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
      ``Image`` — the Airflow image for every container. Default: the official
      ``apache/airflow:<version>-python<py>``; with ``ecs.image: ecr`` there is no default and the deploy
      passes the pushed image (``<EcrRepositoryUri>:<tag>`` or ``@sha256:...``).
      ``inputs`` from network: ``VpcId``, ``SubnetIds`` ← PrivateSubnetIds, ``TaskSecurityGroupId``.
      ``inputs`` from data: ``DatabaseUrlSecretArn``, ``FernetKeySecretArn``, ``JwtSecretArn``,
      ``ApiSecretKeySecretArn``, ``AdminPasswordSecretArn``, ``LogsBucket``, ``DagsBucket``,
      ``EcrRepositoryName``.
      ``inputs`` from access (alb only): ``TargetGroupArn``, ``PublicUrl`` ← access.Url.
      ``DesiredCount<Component>`` for each service (``DesiredCountStandalone``, or
      ``DesiredCountApiServer``, ``DesiredCountScheduler``, ``DesiredCountDagProcessor``,
      ``DesiredCountTriggerer`` and, with Celery, ``DesiredCountWorker``). The template default is
      ``0``: on the FIRST create nothing may start before ``airflow db migrate`` has run, so the
      deploy creates with 0, runs the bootstrap on the utils task definition, then updates the stack
      with the counts in ``StackTemplate.parameters`` (the configured steady state, always passed on
      updates).
    Outputs: ``ClusterName``, ``ClusterArn``, ``CapacityProvider`` (``FARGATE`` or the Managed
      Instances capacity provider's name: use it in run_task's capacityProviderStrategy),
      ``UtilsTaskDefinitionArn``, ``ContainerName`` (``airflow``, the container to override in
      run_task in every task definition), ``LogGroupName`` (streams
      ``<component>/airflow/<task id>``), ``TaskSecurityGroupId``, ``SubnetIds`` (comma-joined),
      ``Image``, ``Service<Component>`` per service (``ServiceStandalone`` or ``ServiceApiServer``,
      ``ServiceScheduler``, ``ServiceDagProcessor``, ``ServiceTriggerer``, ``ServiceWorker``) with the
      service name, and ``Services``: ``component=serviceName,...`` for all of them.

The utils task definition runs any Airflow CLI command (``command`` override: the Airflow arguments,
e.g. ``["db", "migrate"]``; the official image's entrypoint prefixes ``airflow``). It has the same
environment and secrets as the components plus ``AIRHOST_ADMIN_USERNAME`` and
``AIRHOST_ADMIN_PASSWORD`` from the admin secret, so the bootstrap can run
``bash -c 'airflow users create --username "$AIRHOST_ADMIN_USERNAME" --password "$AIRHOST_ADMIN_PASSWORD" ...'``.
"""
