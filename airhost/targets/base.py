"""The target seam's shapes: what a target offers, and what a deployed environment can do.

A ``Target`` names what it can do (``capabilities``), renders an environment (pure), estimates
its cost, and opens a ``Deployment`` for a deployed (or local) environment. A deployment holds and
starts components, runs one-off Airflow commands, reports and scales components, waits until
stable, reads logs and tells its facts. Everything above (``airhost.deploy``, ``airhost.ops``,
the CLI) is written once over these; the results that cross layers are frozen dataclasses with
``to_json()``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from airhost.config.models import Environment
from airhost.progress import Progress
from airhost.render.stacks import Layer, StackTemplate

if TYPE_CHECKING:
    from airhost.airflow_api import ApiClient
    from airhost.dags.destinations import Destination
    from airhost.config.loader import Project
    from airhost.targets.cloud import CloudEnvironment

Echo = Callable[[str], None]

# What a command needs of a target: the capability's name → the command a user typed.
CAPABILITIES = {
    "up": "up/down", "render": "render", "plan": "plan", "deploy": "deploy", "destroy": "destroy",
    "status": "status", "logs": "logs", "run": "run", "scale": "scale", "dags": "dags push/list",
    "backup": "backup/restore", "upgrade": "upgrade", "cost": "cost", "diagram": "diagram",
    "image": "image build/push", "shell": "shell", "kubeconfig": "kubeconfig",
}


@dataclass(frozen=True)
class ComponentState:
    """One component (a service, a process, a deployment) as the target sees it now."""

    component: str
    state: str  # RUNNING, STOPPED, PENDING, CRASH_LOOP, MISSING, or the target's own word
    desired: int | None = None
    running: int | None = None
    pending: int | None = None
    health: str | None = None
    restarts: int | None = None
    pid: int | None = None
    uptime_seconds: int | None = None
    where: str | None = None  # the ECS service, the process, the unit: where to look

    def to_json(self) -> dict[str, Any]:
        return {"component": self.component, "state": self.state, "desired": self.desired,
                "running": self.running, "pending": self.pending, "health": self.health,
                "restarts": self.restarts, "pid": self.pid, "uptime_seconds": self.uptime_seconds,
                "where": self.where}


@dataclass(frozen=True)
class Facts:
    """What a deployed environment is: where to open it, its admin secret, buckets, database."""

    url: str | None = None
    admin_secret: str | None = None
    buckets: dict[str, str] = field(default_factory=dict)  # LogsBucket/DagsBucket → name
    database: str | None = None  # the database instance (or the local data folder)
    image: str = ""
    components: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"url": self.url, "admin_secret": self.admin_secret, "buckets": dict(self.buckets),
                "database": self.database, "image": self.image,
                "components": list(self.components)}


@dataclass(frozen=True)
class CommandResult:
    """A one-off Airflow command's end: its exit code and where its log is."""

    task_id: str
    exit_code: int
    log_stream: str
    stopped_reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"task_id": self.task_id, "exit_code": self.exit_code,
                "log_stream": self.log_stream, "stopped_reason": self.stopped_reason}


class Deployment(ABC):
    """An environment as it runs: the operations every target implements its own way."""

    env: Environment
    cloud: CloudEnvironment | None = None  # the AWS side (itself, for cloud targets)

    @property
    @abstractmethod
    def label(self) -> str:
        """How progress names the environment: ``shop-prod (eu-west-1)``."""

    @abstractmethod
    def facts(self) -> Facts:
        """The deployed environment's facts; NotDeployed when it is not."""

    @abstractmethod
    def components(self) -> list[ComponentState]:
        """Each component's state now."""

    @abstractmethod
    def run(self, command: list[str], progress: Progress, *, timeout: float,
            purpose: str = "run") -> CommandResult:
        """Run one Airflow CLI command (without the leading ``airflow``), logs streamed."""

    def api_client(self) -> ApiClient | None:
        """A logged-in REST client when the API server answers from here, else None."""
        return None

    def shell(self, component: str | None) -> list[str]:
        """The command that opens an interactive shell where ``component`` runs."""
        raise NotImplementedError

    def kubeconfig(self, credential_command: list[str]) -> dict[str, Any]:
        """A kubeconfig for the environment's cluster whose user runs ``credential_command``."""
        raise NotImplementedError

    def credential(self) -> dict[str, Any]:
        """An ExecCredential (client.authentication.k8s.io/v1beta1) for the cluster, for kubectl."""
        raise NotImplementedError

    def bundle(self) -> Destination:
        """Where ``dags push`` uploads the DAG bundle this environment's Airflow reads."""
        raise NotImplementedError

    def read_logs(self, component: str | None, *, since: str, follow: bool, pattern: str | None,
             lines: int, echo: Echo) -> int:
        raise NotImplementedError

    @property
    def shares_clock(self) -> bool:
        """True when Airflow runs on this machine, so this clock times its parses exactly."""
        return False

    # -- cloud deployments: stacks hold and start components -----------------------------------

    def stack_artifacts(self, stack: StackTemplate, values: dict[str, str],
                        progress: Progress) -> dict[str, str]:
        """What the target builds and uploads for a stack before it deploys (EC2's wheelhouse),
        given as the stack's parameters; ``values`` as given when it has nothing to build."""
        return values

    def stack_parameters(self, stack: StackTemplate, values: dict[str, str],
                         image: str | None) -> dict[str, str]:
        """The target's say on a stack's parameters (the image to run); ``values`` as given."""
        return values

    def prepare(self, progress: Progress) -> None:
        """What must exist after the stacks and before any command runs (nothing, by default)."""

    def uninstall(self, progress: Progress) -> None:
        """What must go before the stacks are deleted (nothing, by default)."""

    def status_details(self) -> dict[str, Any]:
        """The target's own part of ``status`` (a cluster's nodes, a release), beyond components."""
        return {}

    def hold(self, progress: Progress) -> None:
        """Stop every Airflow component (nothing runs against the database afterwards)."""
        raise NotImplementedError

    def suspend_scaling(self, progress: Progress) -> None:
        """Keep whatever scales the components by itself (the office hours' wake, a worker
        group's backlog) from starting any until ``resume_scaling``: part of every hold, so an
        edge of the schedule cannot start a release on a database being migrated or switched.
        Nothing by default."""

    def resume_scaling(self, progress: Progress) -> None:
        """Let the office hours and autoscaling act again; nothing suspended is no change."""

    def suspended_scaling(self) -> list[str]:
        """What of it is suspended now (services, groups, CronJobs by name): none by default."""
        return []

    def start(self, progress: Progress, stacks: list[StackTemplate]) -> None:
        """Start the components at their configured counts."""
        raise NotImplementedError

    def wait_stable(self, progress: Progress) -> list[ComponentState]:
        raise NotImplementedError

    def scale(self, counts: dict[str, int], progress: Progress, *,
              wait: bool) -> list[ComponentState]:
        raise NotImplementedError

    def park(self, progress: Progress, *, wait: bool) -> list[ComponentState]:
        raise NotImplementedError

    def resume(self, progress: Progress, *, wait: bool) -> list[ComponentState]:
        raise NotImplementedError

    def upgrade_artifact(self, version: str) -> str:
        """What the components of Airflow ``version`` will run from, as an upgrade plan names it."""
        return f"apache/airflow:{version}-python{self.env.airflow.python}"

    def project_image(self) -> bool:
        """True when the environment runs the project's own image (built and pushed by airhost)."""
        return False

    def release_facts(self) -> dict[str, Any]:
        """What the release record notes about the target (topology, compute)."""
        return {}


@dataclass(frozen=True)
class Target:
    """One kind of place Airflow runs, as the rest of airhost sees it."""

    name: str
    title: str  # for people: "ECS", "local"
    capabilities: frozenset[str]
    open: Callable[[Project | None, Environment], Deployment]  # cloud targets need no project
    layers: tuple[Layer, ...] = ()  # its stacks in deploy order (cloud targets)
    render: Callable[[Environment, str], list[StackTemplate]] | None = None
    # file name → content written beside the templates (Helm values, manifests)
    artifacts: Callable[[Environment], dict[str, str]] | None = None
    summary: Callable[[Environment], str] = lambda env: env.target
    estimate: Callable[..., Any] | None = None  # (env, prices, assumptions) -> cost Estimate
    # the instance types its estimate prices by name (what --refresh-prices asks the API for)
    instance_types: Callable[[Environment], list[str]] | None = None
    # capability → what to do instead, for the capabilities it lacks
    instead: dict[str, str] = field(default_factory=dict)
