"""Task definitions of the airflow stack: what each Airflow component's container runs, with what.

Every container's ``AIRFLOW__*`` environment comes from the one Airflow renderer
(``render_airflow_env``) given this target's ``Site``; its secret references become the task
definition's ``Secrets``, resolved by ECS from the data stack's secrets when the task starts. Values
that are only known at deploy time (bucket names, the public URL) are written as ``${Parameter}`` in
the site and become ``Fn::Sub`` here.
"""

from __future__ import annotations

import json

from airhost.config.models import ComponentSize, Environment
from airhost.render.airflow_env import ALL_COMPONENTS, Component, Site, render_airflow_env
from airhost.render.ecs.backlog import STATSD_ADDRESS, agent_container
from airhost.render.common import Json, Template, get_att, join, prefix, ref, sub, sub_tokens, tags
from airhost.render.data import AIRFLOW_SECRET_ARNS, BUNDLE_PREFIX, TASK_LOGS_PREFIX
from airhost.render.network import API_PORT, TAILSCALE_BOOT, tailscale_serve

CONTAINER = "airflow"
AIRFLOW_HOME = "/opt/airflow"
SITE_TOKENS = {"PublicUrl", "LogsBucket", "DagsBucket", "SubnetIdList", "TaskSecurityGroupId"}
TAILSCALE_IMAGE = "tailscale/tailscale:stable"

# Task sizes when ecs.sizes does not say: CPU units / MiB, valid Fargate combinations.
DEFAULT_SIZES = {
    "standalone": ComponentSize(cpu=1024, memory=4096),
    "api-server": ComponentSize(cpu=1024, memory=2048),
    "scheduler": ComponentSize(cpu=1024, memory=2048),
    "dag-processor": ComponentSize(cpu=512, memory=2048),
    "triggerer": ComponentSize(cpu=512, memory=1024),
    "worker": ComponentSize(cpu=1024, memory=4096),
    "utils": ComponentSize(cpu=512, memory=2048),
}

# What each task runs: the official image's entrypoint turns these arguments into `airflow ...`.
STANDALONE_COMPONENTS: tuple[Component, ...] = ("api-server", "scheduler", "dag-processor", "triggerer")
STANDALONE_SCRIPT = ("airflow api-server & airflow scheduler & airflow dag-processor & airflow triggerer & "
                     "wait -n; exit $?")  # one component dying stops the task, so ECS replaces it
COMMANDS: dict[str, list[str]] = {
    "standalone": ["bash", "-c", STANDALONE_SCRIPT],
    "api-server": ["api-server"],
    "scheduler": ["scheduler"],
    "dag-processor": ["dag-processor"],
    "triggerer": ["triggerer"],
    "worker": ["celery", "worker"],
    "utils": ["version"],
}
API_HEALTH = ["CMD-SHELL", f"curl -fsS http://localhost:{API_PORT}/api/v2/monitor/health || exit 1"]
JOB_HEALTH = {
    "scheduler": "SchedulerJob",
    "dag-processor": "DagProcessorJob",
    "triggerer": "TriggererJob",
}


def size_of(env: Environment, name: str) -> ComponentSize:
    return env.ecs.sizes.get(name) or DEFAULT_SIZES[name]  # type: ignore[call-overload]


def namespace_name(env: Environment) -> str:
    return f"{env.name}.{env.project}.airflow.internal"


def api_url(env: Environment) -> str:
    """How components reach the API server: in the same task, or by its service discovery name."""
    if env.ecs.topology == "standalone":
        return f"http://localhost:{API_PORT}"
    return f"http://api-server.{namespace_name(env)}:{API_PORT}"


def ecs_site(env: Environment) -> Site:
    """The facts of an ECS environment the Airflow renderer needs."""
    broker_options: dict[str, str] = {}
    if env.airflow.executor == "celery":
        broker_options = {"region": env.region or "", "queue_name_prefix": f"{prefix(env)}-"}
    ecs_executor: dict[str, str] = {}
    if env.airflow.executor == "ecs":
        ecs_executor = {
            "cluster": prefix(env), "container_name": CONTAINER,
            "task_definition": f"{prefix(env)}-worker", "region_name": env.region or "",
            "subnets": "${SubnetIdList}", "security_groups": "${TaskSecurityGroupId}",
            "assign_public_ip": "False",
            "capacity_provider_strategy": json.dumps([{"capacityProvider": capacity_provider_name(env),
                                                       "weight": 1}]),
        }
    return Site(
        airflow_home=AIRFLOW_HOME,
        dags_folder=f"{AIRFLOW_HOME}/dags",
        api_url=api_url(env),
        public_url=public_url(env),
        remote_log_base=f"s3://${{LogsBucket}}/{TASK_LOGS_PREFIX}",
        bundle_bucket="${DagsBucket}" if env.dags.source == "bundle" else None,
        bundle_prefix=BUNDLE_PREFIX,
        secrets_prefix=secrets_prefix(env),
        region=env.region,
        broker_url="sqs://" if env.airflow.executor == "celery" else None,
        broker_options=broker_options,
        ecs_executor=ecs_executor,
        # The scheduler's backlog gauges go to the CloudWatch agent beside it (see backlog.py).
        statsd_address=STATSD_ADDRESS if env.airflow.executor == "celery" else None,
        cpus=component_cpus(env),
    )


def component_cpus(env: Environment) -> dict[str, float]:
    """vCPUs each component has (1024 CPU units = 1 vCPU): its service's task, or its share of
    the standalone task that runs the four of them."""
    cpus = {component: size_of(env, component).cpu / 1024 for component in ALL_COMPONENTS}
    if env.ecs.topology == "standalone":
        shared = STANDALONE_COMPONENTS
        cpus.update({component: size_of(env, "standalone").cpu / 1024 / len(shared)
                     for component in shared})
    return cpus


def public_url(env: Environment) -> str | None:
    """The URL people open, when airhost knows it: Airflow puts it in links (``[api] base_url``)."""
    if env.access.mode == "alb":
        return "${PublicUrl}"
    tailscale = env.access.tailscale
    if env.access.mode == "tailscale" and tailscale and tailscale.tailnet:
        return f"https://{tailscale.hostname or prefix(env)}.{tailscale.tailnet}"
    return None


def capacity_provider_name(env: Environment) -> str:
    """FARGATE, or the Managed Instances provider's name (which may not start with "aws", "ecs" or
    "fargate", as a project name might)."""
    return "FARGATE" if env.ecs.capacity == "fargate" else f"airflow-{prefix(env)}"


def secrets_prefix(env: Environment) -> str:
    """SSM path under which Airflow finds connections and variables (``.../connections/<id>``)."""
    return f"/airhost/{env.project}/{env.name}"


def _environment(env: Environment, components: list[Component]) -> tuple[list[Json], list[Json]]:
    values: dict[str, str] = {}
    secrets: dict[str, str] = {}
    for component in components:
        rendered = render_airflow_env(env, component, ecs_site(env))
        values.update(rendered.values)
        secrets.update(rendered.secrets)
    environment = [{"Name": name, "Value": _value(value)} for name, value in sorted(values.items())]
    injected = [{"Name": variable, "ValueFrom": ref(AIRFLOW_SECRET_ARNS[name])}
                for variable, name in sorted(secrets.items())]
    return environment, injected


def _value(value: str) -> object:
    if "${SubnetIdList}" in value:
        return sub(value, {"SubnetIdList": join(",", ref("SubnetIds"))})
    return sub_tokens(value, SITE_TOKENS)


def _log_configuration(env: Environment, stream: str) -> Json:
    return {"LogDriver": "awslogs", "Options": {
        "awslogs-group": ref("LogGroup"), "awslogs-region": env.region or "",
        "awslogs-stream-prefix": stream}}


def airflow_container(env: Environment, name: str, components: list[Component],
                      extra_secrets: list[Json] | None = None, command: list[str] | None = None) -> Json:
    environment, secrets = _environment(env, components)
    if env.airflow.executor == "celery" and name.startswith("worker"):
        # The image's dumb-init then signals only Celery's main process: a warm shutdown that lets
        # running tasks finish, instead of SIGTERM to every task (see workers.py).
        environment = sorted(environment + [{"Name": "DUMB_INIT_SETSID", "Value": "0"}],
                             key=lambda item: item["Name"])
    container: Json = {
        "Name": CONTAINER, "Image": ref("Image"), "Essential": True,
        "Command": command or COMMANDS[name],
        "Environment": environment, "Secrets": secrets + (extra_secrets or []),
        "LogConfiguration": _log_configuration(env, name),
        "StopTimeout": 120 if name.startswith("worker") or name == "standalone" else 30,
    }
    if name in ("standalone", "api-server"):
        container["PortMappings"] = [{"ContainerPort": API_PORT, "Protocol": "tcp", "Name": "api"}]
        container["HealthCheck"] = {"Command": API_HEALTH, "Interval": 30, "Timeout": 10, "Retries": 3,
                                    "StartPeriod": 180 if name == "standalone" else 120}
    elif name in JOB_HEALTH:
        check = f"airflow jobs check --job-type {JOB_HEALTH[name]} --local || exit 1"
        container["HealthCheck"] = {"Command": ["CMD-SHELL", check], "Interval": 60, "Timeout": 30,
                                    "Retries": 3, "StartPeriod": 120}
    if env.ecs.exec:
        container["LinuxParameters"] = {"InitProcessEnabled": True}
    return container


def tailscale_container(env: Environment) -> Json:
    """A Tailscale node in the API server's task, serving the UI over HTTPS on the tailnet.

    Userspace networking needs no NET_ADMIN capability or /dev/net/tun, so the same sidecar runs on
    Fargate and Managed Instances. The serve configuration is written from an environment variable
    by the container itself, so no init container or parameter is needed.
    """
    settings = env.access.tailscale
    assert settings is not None
    serve, script = tailscale_serve(), TAILSCALE_BOOT
    return {
        "Name": "tailscale", "Image": TAILSCALE_IMAGE, "Essential": True,
        "EntryPoint": ["/bin/sh", "-c"], "Command": [script],
        "Environment": [
            {"Name": "AIRHOST_SERVE_CONFIG", "Value": json.dumps(serve, sort_keys=True)},
            {"Name": "TS_HOSTNAME", "Value": settings.hostname or prefix(env)},
            {"Name": "TS_SERVE_CONFIG", "Value": "/tmp/tailscale/serve.json"},
            {"Name": "TS_STATE_DIR", "Value": "/tmp/tailscale"},
            {"Name": "TS_USERSPACE", "Value": "true"},
        ],
        "Secrets": [{"Name": "TS_AUTHKEY", "ValueFrom": settings.auth_key_secret_arn}],
        "DependsOn": [{"ContainerName": CONTAINER, "Condition": "HEALTHY"}],
        "LogConfiguration": _log_configuration(env, "tailscale"),
        "MemoryReservation": 128,
    }


def task_definition(template: Template, env: Environment, name: str, components: list[Component],
                    description: str, *, extra_secrets: list[Json] | None = None,
                    command: list[str] | None = None, size: ComponentSize | None = None) -> Json:
    """Add the task definition ``name`` (standalone, api-server, ..., utils) and return a Ref to it."""
    containers = [airflow_container(env, name, components, extra_secrets, command)]
    if env.access.mode == "tailscale" and name in ("standalone", "api-server"):
        containers.append(tailscale_container(env))
    if env.airflow.executor == "celery" and name == "scheduler":
        containers.append(agent_container(env, _log_configuration(env, "cloudwatch-agent")))
    size = size or size_of(env, name)
    logical = "".join(part.capitalize() for part in name.split("-")) + "TaskDefinition"
    compatibility = "FARGATE" if env.ecs.capacity == "fargate" else "MANAGED_INSTANCES"
    return template.add(logical, "AWS::ECS::TaskDefinition", description, {
        "Family": f"{prefix(env)}-{name}",
        "Cpu": str(size.cpu), "Memory": str(size.memory),
        "NetworkMode": "awsvpc",
        "RequiresCompatibilities": [compatibility],
        "RuntimePlatform": {"OperatingSystemFamily": "LINUX",
                            "CpuArchitecture": "ARM64" if env.ecs.architecture == "arm64" else "X86_64"},
        "ExecutionRoleArn": get_att("ExecutionRole", "Arn"),
        "TaskRoleArn": get_att("TaskRole", "Arn"),
        "ContainerDefinitions": containers,
        "Tags": tags(**{"airhost:component": name}),
    })


def admin_secrets() -> list[Json]:
    """The admin user's name and password, for the bootstrap's `airflow users create` (utils only)."""
    return [{"Name": "AIRHOST_ADMIN_PASSWORD", "ValueFrom": sub("${AdminPasswordSecretArn}:password::")},
            {"Name": "AIRHOST_ADMIN_USERNAME", "ValueFrom": sub("${AdminPasswordSecretArn}:username::")}]
