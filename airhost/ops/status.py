"""``status`` of any environment: its components, health and, in the cloud, stacks and release.

``environment_status`` gathers everything into one ``EnvironmentStatus`` for every target (local
processes and cloud services alike are ``ComponentState``\\ s); ``format_status`` renders it for
people. An environment that is not deployed is a status too (``deployed: false``), not an error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from airhost.airflow_api import check_health
from airhost.config.schedule import ScheduleSettings
from airhost.ops.release import Release, read_release
from airhost.targets import ComponentState, Deployment
from airhost.targets.cloud import PARKED, CloudEnvironment


@dataclass(frozen=True)
class StackStatus:
    layer: str
    name: str
    status: str
    updated: str | None = None
    reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"layer": self.layer, "name": self.name, "status": self.status,
                "updated": self.updated, "reason": self.reason}


@dataclass(frozen=True)
class EnvironmentStatus:
    """Everything airhost knows about an environment now, the same shape for every target."""

    environment: str
    project: str
    target: str
    where: str  # the region, or "this machine"
    deployed: bool
    running: bool
    healthy: bool | None
    components: tuple[ComponentState, ...] = ()
    url: str | None = None
    airflow_version: str | None = None
    executor: str | None = None
    stacks: tuple[StackStatus, ...] = ()
    release: Release | None = None
    database: dict[str, Any] | None = None
    health: dict[str, Any] | None = None
    parked: bool = False
    schedule: dict[str, Any] | None = None  # the awake windows, and the next wake or sleep
    # what of the office hours and autoscaling a hold left suspended (services, groups, CronJobs)
    scaling_suspended: tuple[str, ...] = ()
    admin_secret: str | None = None
    username: str | None = None
    password: str | None = None  # only when asked for
    details: dict[str, Any] = field(default_factory=dict)  # the target's own (the state folder)

    def to_json(self) -> dict[str, Any]:
        return {
            "environment": self.environment, "project": self.project, "target": self.target,
            "where": self.where, "deployed": self.deployed, "running": self.running,
            "healthy": self.healthy, "url": self.url, "airflow_version": self.airflow_version,
            "executor": self.executor,
            "components": [component.to_json() for component in self.components],
            "stacks": [stack.to_json() for stack in self.stacks],
            "release": self.release.to_json() if self.release else None,
            "database": self.database, "health": self.health, "parked": self.parked,
            "schedule": self.schedule, "scaling_suspended": list(self.scaling_suspended),
            "admin_secret": self.admin_secret, "username": self.username,
            "password": self.password, **self.details,
        }


def environment_status(deployment: Deployment, *, check_api: bool = True,
                       show_password: bool = False) -> EnvironmentStatus:
    """The status of ``deployment``'s environment; the admin password only with ``show_password``."""
    if deployment.cloud is None:
        return _local_status(deployment, show_password)
    return _cloud_status(deployment.cloud, check_api, show_password)


def _local_status(deployment: Any, show_password: bool) -> EnvironmentStatus:
    local = deployment.local
    data = local.status()
    components = tuple(deployment.components())
    env = deployment.env
    return EnvironmentStatus(
        environment=env.name, project=env.project, target=env.target, where="this machine",
        deployed=True, running=data["running"], healthy=data["healthy"], components=components,
        url=data["url"], airflow_version=env.airflow.version, executor=env.airflow.executor,
        username=data["username"], password=local.admin_password() if show_password else None,
        details={"state_dir": data["state_dir"]})


def _cloud_status(cloud: CloudEnvironment, check_api: bool, show_password: bool) -> EnvironmentStatus:
    env = cloud.env
    stacks = cloud.stacks()
    rows = tuple(StackStatus(layer, cloud.stack_name(layer),
                             stack.status if stack else "NOT_DEPLOYED",
                             stack.updated.isoformat() if stack and stack.updated else None,
                             stack.reason if stack else None)
                 for layer, stack in stacks.items() if stack or layer != "access")
    base = dict(environment=env.name, project=env.project, target=env.target,
                where=cloud.session.region, stacks=rows, airflow_version=env.airflow.version,
                executor=env.airflow.executor)
    compute = stacks.get(cloud.compute)
    if compute is None or compute.never_created or not compute.outputs:
        return EnvironmentStatus(**base, deployed=False, running=False, healthy=None)
    facts = cloud.facts()
    components = tuple(cloud.components())
    found = cloud.rds.describe(facts.database) if facts.database else None
    database = ({"instance": found.instance_id, "status": found.status,
                 "engine_version": found.engine_version, "class": found.instance_class}
                if found else ({"instance": facts.database, "status": "MISSING"}
                               if facts.database else None))
    health = check_health(facts.url) if check_api else {"checked": False, "reason": "not asked"}
    username = password = None
    if show_password and facts.admin_secret:
        admin = cloud.secrets.get_json(facts.admin_secret)
        username, password = admin.get("username"), admin.get("password")
    release = read_release(cloud)
    running = any(c.running for c in components)
    record = cloud.parameters.get_json(cloud.parameter_name(PARKED))
    if release:
        base["airflow_version"] = release.airflow_version
    return EnvironmentStatus(
        **base, deployed=True, running=running,
        healthy=health.get("healthy"), components=components, url=facts.url,
        release=release, database=database, health=health,
        # a scheduled wake after a manual park leaves the record behind: running is not parked
        parked=record is not None and not running,
        schedule=schedule_status(env.schedule, cloud.clock.utcnow()) if env.schedule else None,
        scaling_suspended=tuple(cloud.suspended_scaling()),
        admin_secret=facts.admin_secret, username=username, password=password,
        details=cloud.status_details())


def schedule_status(schedule: ScheduleSettings, now: datetime) -> dict[str, Any]:
    """The schedule as status shows it: its windows, and what it does next, from ``now``."""
    change = schedule.next_change(now)
    return {"awake": list(schedule.awake), "timezone": schedule.timezone,
            "awake_now": schedule.is_awake(now),
            "next": None if change is None else {
                "at": change[0].astimezone(schedule.zone).isoformat(),
                "wakes": change[1], "in_seconds": int((change[0] - now).total_seconds())}}


def format_schedule(schedule: dict[str, Any]) -> str:
    windows = ", ".join(schedule["awake"])
    nxt = schedule["next"]
    if nxt is None:
        return f"schedule: awake {windows} ({schedule['timezone']}): always awake"
    at = datetime.fromisoformat(nxt["at"])
    hours, rest = divmod(nxt["in_seconds"] // 60, 60)
    word = "wakes" if nxt["wakes"] else "sleeps"
    return (f"schedule: awake {windows} ({schedule['timezone']}); by it now "
            f"{'awake' if schedule['awake_now'] else 'asleep'}, {word} {at:%a %Y-%m-%d %H:%M %Z} "
            f"(in {hours}h{rest:02d}m)")


def format_status(status: EnvironmentStatus) -> Group:
    """The status as tables for a terminal."""
    title = f"{status.project}-{status.environment} ({status.target}, {status.where})"
    parts: list[Any] = [Text(title, style="bold")]
    if status.stacks:
        stacks = Table("layer", "stack", "status", "updated", box=None, pad_edge=False)
        for stack in status.stacks:
            stacks.add_row(stack.layer, stack.name, _styled(stack.status), stack.updated or "")
        parts.append(stacks)
    if not status.deployed:
        parts.append(Text(f"not deployed in {status.where}: run 'airhost deploy "
                          f"{status.environment}'", style="yellow"))
        return Group(*parts)
    if status.release:
        release = status.release
        parts.append(Text(
            f"release: Airflow {release.airflow_version}, image {release.image}, config "
            f"{release.config_hash}, deployed {release.deployed_at}"
            + (" — PARKED (airhost scale --resume)" if status.parked else "")))
    elif not status.stacks:  # a local environment: no stacks, no release
        state = "running" if status.running else "stopped"
        health = "healthy" if status.healthy else ("not healthy" if status.running else "-")
        parts.append(Text(f"Airflow {status.airflow_version}: {state}, {health}"))
    if status.schedule:
        parts.append(Text(format_schedule(status.schedule)))
    if status.scaling_suspended:
        parts.append(Text(
            f"office hours and autoscaling SUSPENDED ({', '.join(status.scaling_suspended)}): an "
            f"upgrade or restore held the components and did not start them again; 'airhost scale "
            f"{status.environment} --resume' or a deploy resumes them", style="yellow"))
    if status.url:
        parts.append(Text(f"URL: {status.url}" + (f"  user: {status.username}"
                                                  if status.username else "")))
    parts.append(_components_table(status.components))
    if status.database:
        parts.append(Text(f"database: {status.database.get('instance', '-')} "
                          f"{status.database.get('status', '-')}"))
    if status.password:
        parts.append(Text(f"admin: {status.username} password: {status.password}"))
    health = status.health or {}
    if health.get("checked"):
        state = "healthy" if health.get("healthy") else "UNHEALTHY"
        details = ", ".join(f"{k} {v}" for k, v in health.get("components", {}).items())
        parts.append(Text(f"api: {state} {details or health.get('reason', '')}"))
    elif status.health is not None:
        parts.append(Text(f"api: not checked ({health.get('reason', '')})", style="dim"))
    return Group(*parts)


COLUMNS = ("desired", "running", "health", "restarts", "pid", "uptime_seconds", "where")


def _components_table(components: tuple[ComponentState, ...]) -> Table:
    """One row per component; only the columns this target fills (local: pids, cloud: counts)."""
    shown = [name for name in COLUMNS if any(getattr(c, name) is not None for c in components)]
    grid = Table(box=None, pad_edge=False)
    grid.add_column("component", no_wrap=True)
    grid.add_column("state", no_wrap=True, min_width=10)  # CRASH_LOOP is never cut short
    for name in shown:
        grid.add_column("uptime" if name == "uptime_seconds" else name, no_wrap=True)
    for item in components:
        cells = [_uptime(item.uptime_seconds) if name == "uptime_seconds" else
                 (str(getattr(item, name)) if getattr(item, name) is not None else "-")
                 for name in shown]
        grid.add_row(item.component, _styled(item.state), *cells)
    return grid



def _uptime(seconds: int | None) -> str:
    if seconds is None:
        return "-"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"


def _styled(status: str) -> Text:
    style = ("red" if "FAILED" in status or "ROLLBACK" in status or status in
             ("CRASH_LOOP", "FATAL", "BACKOFF", "MISSING") else
             "yellow" if "PROGRESS" in status or status in ("NOT_DEPLOYED", "PENDING", "STARTING")
             else "green")
    return Text(status, style=style)
