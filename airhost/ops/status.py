"""``status`` of an ECS environment: stacks, release, services, database, API health.

``environment_status`` gathers everything as JSON-able data; ``format_status`` renders it for people.
An environment that is not deployed is a status too (``deployed: false``), not an error.
"""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from airhost.config.models import Environment
from airhost.deploy.release import read_release
from airhost.ops.environment import AwsEnvironment, facts_from
from airhost.ops.health import check_health
from airhost.ops.scale import PARKED


def environment_status(env: Environment, *, aws: AwsEnvironment | None = None,
                       check_api: bool = True, show_password: bool = False) -> dict[str, Any]:
    """Everything airhost knows about the deployed ``env``, as JSON-able data.

    The admin password is read from its secret only with ``show_password``.
    """
    aws = aws or AwsEnvironment(env)
    stacks = aws.stacks()
    status: dict[str, Any] = {
        "environment": env.name, "project": env.project, "target": "ecs",
        "region": aws.session.region,
        "stacks": [{"layer": layer, "name": aws.stack_name(layer),
                    "status": stack.status if stack else "NOT_DEPLOYED",
                    "updated": stack.updated.isoformat() if stack and stack.updated else None,
                    "reason": stack.reason if stack else None}
                   for layer, stack in stacks.items() if stack or layer != "access"],
        "deployed": False, "release": None, "services": {}, "database": None,
        "health": None, "parked": False,
    }
    airflow = stacks.get("airflow")
    if airflow is None or airflow.never_created or not airflow.outputs:
        return status
    facts = facts_from(stacks)
    states = aws.ecs.describe_services(facts.cluster, list(facts.services.values()))
    database = aws.rds.describe(facts.database_instance) if facts.database_instance else None
    status.update(
        deployed=True,
        release=read_release(aws),
        parked=aws.parameters.get_json(aws.parameter_name(PARKED)) is not None,
        services={component: ({"service": name, "desired": states[name].desired,
                               "running": states[name].running, "pending": states[name].pending,
                               "status": states[name].status}
                              if name in states else {"service": name, "status": "MISSING"})
                  for component, name in facts.services.items()},
        database={"instance": database.instance_id, "status": database.status,
                  "engine_version": database.engine_version, "class": database.instance_class}
        if database else ({"instance": facts.database_instance, "status": "MISSING"}
                          if facts.database_instance else None),
        health=check_health(facts.url) if check_api else {"checked": False, "reason": "not asked"},
        url=facts.url, admin_secret=facts.admin_secret,
    )
    if show_password and facts.admin_secret:
        admin = aws.secrets.get_json(facts.admin_secret)
        status.update(username=admin.get("username"), password=admin.get("password"))
    return status


def format_status(status: dict[str, Any]) -> Group:
    """The status as tables for a terminal."""
    title = f"{status['project']}-{status['environment']} on ECS in {status['region']}"
    parts: list[Any] = [Text(title, style="bold")]
    stacks = Table("layer", "stack", "status", "updated", box=None, pad_edge=False)
    for stack in status["stacks"]:
        stacks.add_row(stack["layer"], stack["name"], _styled(stack["status"]), stack["updated"] or "")
    parts.append(stacks)
    if not status["deployed"]:
        parts.append(Text(f"not deployed in {status['region']}: run 'airhost deploy "
                          f"{status['environment']}'", style="yellow"))
        return Group(*parts)
    release = status.get("release") or {}
    parts.append(Text(
        f"release: Airflow {release.get('airflow_version', '?')}, image {release.get('image', '?')}, "
        f"config {release.get('config_hash', '?')}, deployed {release.get('deployed_at', 'never')}"
        + (" — PARKED (airhost scale --resume)" if status["parked"] else "")))
    services = Table("component", "service", "desired", "running", "pending", box=None, pad_edge=False)
    for component, service in sorted(status["services"].items()):
        services.add_row(component, service["service"], str(service.get("desired", "-")),
                         str(service.get("running", "-")), str(service.get("pending", "-")))
    parts.append(services)
    database = status.get("database") or {}
    parts.append(Text(f"database: {database.get('instance', '-')} {database.get('status', '-')}"))
    if status.get("password"):
        parts.append(Text(f"admin: {status.get('username')} password: {status['password']}"))
    health = status.get("health") or {}
    if health.get("checked"):
        state = "healthy" if health.get("healthy") else "UNHEALTHY"
        details = ", ".join(f"{k} {v}" for k, v in health.get("components", {}).items())
        parts.append(Text(f"api: {state} {details or health.get('reason', '')}"))
    else:
        parts.append(Text(f"api: not checked ({health.get('reason', '')})", style="dim"))
    return Group(*parts)


def _styled(status: str) -> Text:
    style = ("red" if "FAILED" in status or "ROLLBACK" in status else
             "yellow" if "PROGRESS" in status or status == "NOT_DEPLOYED" else "green")
    return Text(status, style=style)
