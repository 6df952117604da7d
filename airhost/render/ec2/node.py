"""What each EC2 node runs: its settings document, systemd units and cloud-init user data.

Every ``AIRFLOW__*`` value comes from the one renderer (``render_airflow_env``) given the EC2
``Site``; secrets appear only as references (variable → secret ARN) that the node resolves from
Secrets Manager when a component starts (``airhost-node exec``), so neither the user data, the
launch template, the unit files nor the environment files on disk hold a secret.

Where each piece lives, and why:

- the **settings document** (one SSM parameter per group, written by the compute stack): plain
  values shared by the group's components, each component's own values and command, and the
  secret references. A change of settings changes the parameter and its resource's metadata;
  cfn-hup on the node sees the metadata change within a minute and runs ``airhost-node apply``,
  which rewrites the environment files and restarts only the units whose settings changed. No
  instance is replaced, nothing is reinstalled, and a restarted Celery worker finishes its running
  tasks first (warm shutdown).
- the **user data** (in the launch template): the node script, its units, cfn-hup's and the
  CloudWatch agent's configuration, and the wheelhouse of the release's lock. A change here (a new
  lock, new units) makes a new launch template version, which the group rolls out instance by
  instance (``AutoScalingRollingUpdate``).

Values only known at deploy time are written ``${Parameter}`` and become ``Fn::Sub``.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
from importlib import resources

import yaml

from airhost.config.ec2 import ResolvedGroup, instance_vcpus, resolved_groups
from airhost.config.models import Environment
from airhost.render.airflow_env import Component, Site, render_airflow_env
from airhost.render.common import prefix
from airhost.render.ecs.backlog import agent_config as backlog_agent
from airhost.render.data import AIRFLOW_SECRET_ARNS, BUNDLE_PREFIX, TASK_LOGS_PREFIX
from airhost.render.network import API_PORT

AIRFLOW_HOME = "/var/lib/airflow"
NODE_SCRIPT = "/opt/airhost/bin/airhost-node"
VENV = "/opt/airhost/venv"
ENV_DIR = "/etc/airhost/env"
LOG_DIR = "/var/log/airflow"
USER = "airflow"
STATSD_ADDRESS = "127.0.0.1:8125"
DRAIN_HOOK = "drain"
DRAIN_SECONDS = 900  # how long a terminating worker may take to finish its tasks
# The tokens the compute stack's Fn::Sub fills in, from its parameters and pseudo parameters.
TOKENS = {"LogsBucket", "DagsBucket", "ApiUrl", "PublicUrl", "AWS::StackName", "AWS::Region",
          "WheelhouseArm64", "WheelhouseX8664", *AIRFLOW_SECRET_ARNS.values(), "AdminPasswordSecretArn"}
COMMANDS: dict[str, list[str]] = {
    "api-server": ["api-server"], "scheduler": ["scheduler"], "dag-processor": ["dag-processor"],
    "triggerer": ["triggerer"], "worker": ["celery", "worker"], "utils": [],
}


def api_url(env: Environment) -> str:
    """How components reach the API server: on the same instance, or the internal load balancer."""
    return f"http://localhost:{API_PORT}" if env.ec2.topology == "standalone" else "${ApiUrl}"


def ec2_site(env: Environment) -> Site:
    celery = env.airflow.executor == "celery"
    return Site(
        airflow_home=AIRFLOW_HOME,
        dags_folder=f"{AIRFLOW_HOME}/dags",
        api_url=api_url(env),
        public_url="${PublicUrl}" if env.access.mode == "alb" else None,
        log_folder=f"{AIRFLOW_HOME}/logs",
        remote_log_base=f"s3://${{LogsBucket}}/{TASK_LOGS_PREFIX}",
        bundle_bucket="${DagsBucket}" if env.dags.source == "bundle" else None,
        bundle_prefix=BUNDLE_PREFIX,
        secrets_prefix=f"/airhost/{env.project}/{env.name}",
        region=env.region,
        broker_url="sqs://" if celery else None,
        broker_options={"region": env.region or "", "queue_name_prefix": f"{prefix(env)}-"}
        if celery else {},
        statsd_address=STATSD_ADDRESS if celery else None,
        # the default queue's workers: what ``worker`` renders for (a queue's group may differ)
        cpus={component: instance_vcpus(group.instance_type) / len(group.components)
              for group in reversed(resolved_groups(env)) for component in group.components},
    )


def settings_document(env: Environment, group: ResolvedGroup, site: Site | None = None) -> dict:
    """The group's settings: shared values, each component's own, the secrets' references.

    ``site`` is the EC2 site unless given (the node test renders for a scratch root)."""
    site = site or ec2_site(env)
    components: list[str] = [*group.components, "utils"]
    rendered = {c: render_airflow_env(env, c, site) for c in components}  # type: ignore[arg-type]
    shared = dict(set.intersection(*(set(r.values.items()) for r in rendered.values())))
    secrets = {variable: "${" + AIRFLOW_SECRET_ARNS[name] + "}"
               for variable, name in rendered["utils"].secrets.items()}
    document: dict = {"environment": dict(sorted(shared.items())), "secrets": secrets,
                      "components": {}}
    for component in components:
        own = {k: v for k, v in rendered[component].values.items() if shared.get(k) != v}
        command = list(COMMANDS[component])
        if component == "worker" and group.queue:
            command += ["--queues", group.queue]
        spec: dict = {"command": command, "environment": own}
        if component == "utils":
            spec["secrets"] = {"AIRHOST_ADMIN_USERNAME": "${AdminPasswordSecretArn}#username",
                               "AIRHOST_ADMIN_PASSWORD": "${AdminPasswordSecretArn}#password"}
        document["components"][component] = spec
    return document


def settings_text(document: dict) -> str:
    return json.dumps(document, sort_keys=True, separators=(",", ":"))


def settings_hash(document: dict) -> str:
    return hashlib.sha256(settings_text(document).encode()).hexdigest()[:16]


def unit(env: Environment, component: str) -> str:
    """The systemd unit of one component: started through the node script, restarted on failure."""
    long_stop = component == "worker" or (component == "scheduler" and env.airflow.executor == "local")
    lines = [
        "[Unit]",
        f"Description=Airflow {component} of {prefix(env)} (airhost)",
        "Wants=network-online.target",
        "After=network-online.target",
        "",
        "[Service]",
        "Type=simple",
        f"User={USER}",
        f"Group={USER}",
        f"WorkingDirectory={AIRFLOW_HOME}",
        f"EnvironmentFile={ENV_DIR}/{component}.env",
        f"ExecStart={NODE_SCRIPT} exec {component}",
        "Restart=on-failure",
        "RestartSec=5",
        "KillSignal=SIGTERM",
    ]
    if long_stop:
        # Only the main process gets SIGTERM: Celery's warm shutdown (and the LocalExecutor's
        # end) let running tasks finish; what is left after the timeout is killed.
        lines += ["KillMode=mixed", f"TimeoutStopSec={DRAIN_SECONDS - 60}"]
    else:
        lines += ["TimeoutStopSec=60"]
    lines += [
        f"StandardOutput=append:{LOG_DIR}/{component}.log",
        "StandardError=inherit",
        "NoNewPrivileges=yes",
        "PrivateTmp=yes",
        "ProtectSystem=full",
        "",
        "[Install]",
        "WantedBy=multi-user.target",
        "",
    ]
    return "\n".join(lines)


BOOTSTRAP_UNIT = """[Unit]
Description=airhost node bootstrap: install Airflow from the wheelhouse, start the components
Wants=network-online.target
After=network-online.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/opt/airhost/bin/airhost-node bootstrap
StandardOutput=journal+console

[Install]
WantedBy=multi-user.target
"""

CFN_HUP_UNIT = """[Unit]
Description=cfn-hup: applies the compute stack's setting changes to this node
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
ExecStart=/opt/aws/bin/cfn-hup --no-daemon --verbose
Restart=always
RestartSec=60

[Install]
WantedBy=multi-user.target
"""

LIFECYCLE_UNIT = """[Unit]
Description=airhost drain: finish the Celery worker's tasks before the group terminates this node
After=airflow-worker.service

[Service]
Type=simple
ExecStart=/opt/airhost/bin/airhost-node lifecycle worker
Restart=on-failure
RestartSec=10

[Install]
WantedBy=multi-user.target
"""


def units(env: Environment, group: ResolvedGroup) -> dict[str, str]:
    """File name → content of every systemd unit the group's nodes run."""
    result = {f"airflow-{c}.service": unit(env, c) for c in group.components}
    result["airhost-node.service"] = BOOTSTRAP_UNIT
    result["airhost-cfn-hup.service"] = CFN_HUP_UNIT
    if "worker" in group.components:
        result["airhost-drain.service"] = LIFECYCLE_UNIT
    return result


def node_config(env: Environment, group: ResolvedGroup) -> dict:
    wheelhouse = "${Wheelhouse" + ("Arm64" if group.architecture == "arm64" else "X8664") + "}"
    return {"region": "${AWS::Region}", "settings_parameter": settings_parameter(env, group),
            "wheelhouse": wheelhouse, "python": f"/usr/bin/python{env.airflow.python}",
            "group_name": group_name(env, group), "drain_hook": DRAIN_HOOK}


def settings_parameter(env: Environment, group: ResolvedGroup) -> str:
    return f"/airhost/{env.project}/{env.name}/node/{group.name}"


def group_name(env: Environment, group: ResolvedGroup) -> str:
    return f"{prefix(env)}-{group.name}"


def log_group_name(env: Environment) -> str:
    return f"/airhost/{env.project}/{env.name}"


def agent_config(env: Environment, group: ResolvedGroup) -> dict:
    """The CloudWatch agent: component logs to the log group, and (scheduler) the backlog gauges."""
    files = [{"file_path": f"{LOG_DIR}/{c}.log", "log_group_name": log_group_name(env),
              "log_stream_name": f"{c}/{{instance_id}}"}
             for c in group.components]
    config: dict = {"agent": {"region": env.region or ""},
                    "logs": {"logs_collected": {"files": {"collect_list": files}}}}
    if env.airflow.executor == "celery" and "scheduler" in group.components:
        config["metrics"] = backlog_agent(env)["metrics"]
    return config


def script_text() -> str:
    return resources.files("airhost.render.ec2").joinpath("files/airhost-node").read_text("utf-8")


def _packed(text: str) -> str:
    return base64.b64encode(gzip.compress(text.encode(), mtime=0)).decode()


def cloud_config(env: Environment, group: ResolvedGroup) -> dict:
    """The group's cloud-init configuration (``${...}`` tokens filled by the stack's Fn::Sub)."""
    hook = (f"[airhost-settings]\ntriggers=post.update\n"
            f"path=Resources.{settings_resource(group)}.Metadata.airhost\n"
            f"action={NODE_SCRIPT} apply\nrunas=root\n")
    hup = "[main]\nstack=${AWS::StackName}\nregion=${AWS::Region}\ninterval=1\nverbose=false\n"
    files = [
        {"path": NODE_SCRIPT, "permissions": "0755", "encoding": "gz+b64", "content": _packed(script_text())},
        {"path": "/etc/airhost/node.json", "permissions": "0644",
         "content": json.dumps(node_config(env, group), indent=1, sort_keys=True) + "\n"},
        {"path": "/etc/cfn/cfn-hup.conf", "permissions": "0400", "content": hup},
        {"path": "/etc/cfn/hooks.d/airhost.conf", "permissions": "0400", "content": hook},
        {"path": "/opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.json",
         "permissions": "0644", "content": json.dumps(agent_config(env, group), sort_keys=True) + "\n"},
    ]
    for name, text in sorted(units(env, group).items()):
        files.append({"path": f"/etc/systemd/system/{name}", "permissions": "0644", "content": text})
    python = f"python{env.airflow.python}"
    return {
        "users": ["default", {"name": USER, "system": True, "homedir": AIRFLOW_HOME,
                              "shell": "/sbin/nologin"}],
        "packages": [python, "python3-boto3", "aws-cfn-bootstrap", "amazon-cloudwatch-agent"],
        "write_files": files,
        "runcmd": [
            ["install", "-d", "-o", USER, "-g", USER, AIRFLOW_HOME, LOG_DIR],
            ["systemctl", "daemon-reload"],
            ["/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl", "-a", "fetch-config",
             "-m", "ec2", "-s", "-c",
             "file:/opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.json"],
            ["systemctl", "enable", "--now", "airhost-cfn-hup.service"],
            ["systemctl", "enable", "--now", "airhost-node.service"],
            *([["systemctl", "enable", "--now", "airhost-drain.service"]]
              if "worker" in group.components else []),
        ],
    }


def user_data(env: Environment, group: ResolvedGroup) -> str:
    """The cloud-config text of the group's launch template (before Fn::Sub)."""
    return "#cloud-config\n" + yaml.safe_dump(cloud_config(env, group), sort_keys=False, width=1000)


def settings_resource(group: ResolvedGroup) -> str:
    return "Settings" + "".join(part.capitalize() for part in group.name.split("-"))
