"""The local target: the project's Airflow on this machine, as ``airhost up`` runs it.

The deployment wraps ``airhost.local.LocalEnvironment``: components are supervised processes,
a one-off command runs with the environment's virtualenv, rendered settings and secrets, logs are
the components' files. It has no stacks: ``up``/``down`` start and stop it.
"""

from __future__ import annotations

import time

from airhost.airflow_api import ApiClient
from airhost.config.loader import Project
from airhost.config.models import Environment
from airhost.dags.destinations import Destination
from airhost.errors import UsageError
from airhost.local.dags import local_destination
from airhost.local.environment import LocalEnvironment
from airhost.local.logs import follow as follow_logs
from airhost.local.logs import last_lines
from airhost.progress import Progress
from airhost.targets.base import CommandResult, ComponentState, Deployment, Echo, Facts, Target


class LocalDeployment(Deployment):
    """A local environment of a project, operated like a deployed one."""

    def __init__(self, project: Project, env: Environment) -> None:
        self.env = env
        self.local = LocalEnvironment(project, env)

    @property
    def label(self) -> str:
        return f"{self.env.project}-{self.env.name} (this machine)"

    def facts(self) -> Facts:
        return Facts(url=self.local.api_url(), database=str(self.local.paths.base),
                     components=tuple(parts["component"] for parts in
                                      self.local.status()["components"]))

    def components(self) -> list[ComponentState]:
        return [ComponentState(item["component"],
                               "CRASH_LOOP" if item.get("crash_looping") else item["state"],
                               health=item.get("health"),
                               restarts=item.get("restarts"), pid=item.get("pid"),
                               uptime_seconds=item.get("uptime_seconds"), where="process")
                for item in self.local.status()["components"]]

    def api_client(self) -> ApiClient | None:
        return self.local.api_client()

    def bundle(self) -> Destination:
        return local_destination(self.local)

    @property
    def shares_clock(self) -> bool:
        return True

    def run(self, command: list[str], progress: Progress, *, timeout: float,
            purpose: str = "run") -> CommandResult:
        started = time.monotonic()
        code = self.local.run_streamed(command, progress.log_line, timeout=timeout)
        progress.detail(f"finished in {time.monotonic() - started:.1f} s")
        return CommandResult(task_id=f"local-{purpose}", exit_code=code, log_stream="(this terminal)")

    def read_logs(self, component: str | None, *, since: str, follow: bool, pattern: str | None,
             lines: int, echo: Echo) -> int:
        names = [c["component"] for c in self.local.status()["components"]] + ["migrate"]
        if component and component not in names:
            raise UsageError(f"no component '{component}' in {self.env.name}",
                             hint="choose one of " + ", ".join(names))
        chosen = {name: self.local.paths.component_log(name)
                  for name in ([component] if component else names)}
        printed = 0
        for name, path in chosen.items():
            for line in last_lines(path, lines):
                if pattern is None or pattern in line:
                    echo(line if component else f"{name:>14} | {line}")
                    printed += 1
        if follow:
            try:
                for name, line in follow_logs(chosen):
                    if pattern is None or pattern in line:
                        echo(line if component else f"{name:>14} | {line}")
                        printed += 1
            except KeyboardInterrupt:
                pass
        return printed


def _open(project: Project | None, env: Environment) -> LocalDeployment:
    if project is None:
        raise UsageError(f"environment '{env.name}' runs locally: it needs its project folder")
    return LocalDeployment(project, env)


LOCAL = Target(
    name="local",
    title="local",
    capabilities=frozenset({"up", "status", "logs", "run", "dags", "backup"}),
    open=_open,
    summary=lambda env: "this machine",
    instead={
        "kubeconfig": "a local environment runs no Kubernetes cluster: 'airhost status' shows "
                      "its processes",
        "render": "it runs on this machine: there is no CloudFormation to render; "
                  "use 'airhost up'",
        "diagram": "it runs on this machine: there is nothing in AWS to draw",
        "plan": "a local environment starts with 'airhost up'",
        "deploy": "a local environment starts with 'airhost up'",
        "destroy": "'airhost down --purge' deletes a local environment",
        "scale": "a local environment runs one of each component",
        "upgrade": "a local environment upgrades by setting airflow.version and running "
                   "'airhost up' (take 'airhost backup ENV' first)",
        "cost": "it runs on this machine and costs nothing on AWS; name a cloud environment",
        "image": "it runs Airflow from a virtualenv, not an image; name a cloud environment",
        "shell": "its processes run on this machine: use 'airhost run local -- ...' for Airflow's "
                 "CLI, or .airhost/ENV/venv/bin/airflow with its settings",
    },
)
