"""A deployed ECS environment: its services, one-off tasks, counts, logs and facts.

Components are ECS services (``Services`` output: component → service). Their configured counts
are the airflow stack's ``DesiredCount<Component>`` parameters (the stack's ``counts``). Parking
records the counts it found in SSM, so ``resume`` brings back what ran, including manual scaling;
services that autoscale (Celery workers) are parked with min and max at 0, so no scaling policy
brings them back, and resumed with their recorded bounds. Egress that bills by the hour (the NAT)
is parked after the services stop and brought back before they start. One-off commands run as tasks of the
utils task definition (``airhost.targets.ecs.tasks``); logs are CloudWatch streams
``<component>/<container>/<task id>``.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from airhost.airflow_api import ApiClient, ApiUnreachable
from airhost.aws.autoscaling import AutoScaling, ScalableTarget, resource_id
from airhost.aws.ecs import Ecs, ServiceState
from airhost.aws.errors import StackFailed
from airhost.aws.session import AwsSession, Clock
from airhost.config.models import Environment
from airhost.errors import AirhostError, UsageError
from airhost.progress import Progress
from airhost.render.egress import PARKED as EGRESS_PARKED, RUNNING as EGRESS_RUNNING
from airhost.render.stacks import Layer, StackTemplate
from airhost.targets.base import CommandResult, ComponentState, Echo, Facts
from airhost.targets.cloud import PARKED, CloudEnvironment
from airhost.targets.cloud_logs import show_logs
from airhost.targets.ecs.facts import EcsFacts, facts_from
from airhost.targets.ecs.failures import (
    crash_loop_error, crash_loop_hint, failed_at_start, is_crash_looping,
)
from airhost.targets.ecs.tasks import run_command

STABLE_TIMEOUT = 1800.0
UTILS = "utils"


def count_parameter(component: str) -> str:
    """The airflow stack's parameter holding a component's count: api-server → DesiredCountApiServer."""
    return "DesiredCount" + "".join(part.capitalize() for part in component.split("-"))


class EcsDeployment(CloudEnvironment):
    """One ECS environment in its account and region."""

    layers: tuple[Layer, ...] = ("network", "data", "access", "airflow")
    compute: Layer = "airflow"

    def __init__(self, env: Environment, *, session: AwsSession | None = None,
                 clock: Clock | None = None) -> None:
        super().__init__(env, session=session, clock=clock)
        self.ecs = Ecs(self.session)
        self.autoscaling = AutoScaling(self.session)

    # -- facts ---------------------------------------------------------------------------------

    @cached_property
    def ecs_facts(self) -> EcsFacts:
        """The deployed environment's ECS facts; NotDeployed if its airflow stack is missing."""
        return facts_from(self.require_deployed())

    def refresh(self) -> None:
        """Forget the facts read so far: the stacks changed (an upgrade, a restore)."""
        self.__dict__.pop("ecs_facts", None)

    def facts(self) -> Facts:
        facts = self.ecs_facts
        return Facts(url=facts.url, admin_secret=facts.admin_secret, buckets=dict(facts.buckets),
                     database=facts.database_instance, image=facts.image,
                     components=tuple(facts.services))

    def project_image(self) -> bool:
        return self.env.ecs.image == "ecr"

    def release_facts(self) -> dict[str, Any]:
        return {"topology": self.env.ecs.topology, "capacity": self.env.ecs.capacity}

    def api_client(self) -> ApiClient | None:
        """Logged in when the URL answers from here; None when it does not (a private API).

        A wrong password or an error from Airflow is raised, never taken for "not reachable".
        """
        facts = self.ecs_facts
        if not facts.url or not facts.admin_secret:
            return None
        admin = self.secrets.get_json(facts.admin_secret)
        try:
            return ApiClient(facts.url, admin.get("username", "admin"), admin.get("password", ""))
        except ApiUnreachable:
            return None

    # -- components ----------------------------------------------------------------------------

    def service_states(self) -> dict[str, ServiceState]:
        facts = self.ecs_facts
        by_name = self.ecs.describe_services(facts.cluster, list(facts.services.values()))
        return {component: by_name[name] for component, name in facts.services.items()
                if name in by_name}

    def components(self) -> list[ComponentState]:
        states = self.service_states()
        return [_component(component, states.get(component), service)
                for component, service in sorted(self.ecs_facts.services.items())]

    def run(self, command: list[str], progress: Progress, *, timeout: float,
            purpose: str = "run") -> CommandResult:
        return run_command(self, command, progress, timeout=timeout, started_by=f"airhost-{purpose}")

    def read_logs(self, component: str | None, *, since: str, follow: bool, pattern: str | None,
             lines: int, echo: Echo) -> int:
        facts = self.ecs_facts
        known = sorted(set(facts.services) | {UTILS})
        if component is not None and component not in known:
            raise UsageError(f"no component '{component}' in environment {self.env.name}",
                             hint="its components: " + ", ".join(known))
        return show_logs(self, facts.log_group, f"{component}/" if component else None,
                         since=since, follow=follow, pattern=pattern, echo=echo)

    # -- counts --------------------------------------------------------------------------------

    def stack_parameters(self, stack: StackTemplate, values: dict[str, str],
                         image: str | None) -> dict[str, str]:
        declared = stack.template.get("Parameters", {}).get("Image")
        if declared is None:
            return values
        if image:
            return {**values, "Image": image}
        if "Default" not in declared and "Image" not in values:
            # an image built by the project: keep the one running, or ask for one
            existing = self.cloudformation.describe(stack.name)
            if existing is not None and existing.parameters.get("Image"):
                return {**values, "Image": existing.parameters["Image"]}
            raise UsageError(
                f"stack {stack.name} runs the project's own image, and none has been pushed: the "
                "stacks before it are in place, its ECR repository included",
                hint="run 'airhost image build ENV' and 'airhost image push ENV' (or pass --image), "
                     "then deploy again")
        return values

    def configured_counts(self) -> dict[str, int]:
        """Each component's count as the airflow stack's parameters set it (1 when not one)."""
        stack = self.cloudformation.require(self.stack_name("airflow"))
        counts = {}
        for component in self.ecs_facts.services:
            value = stack.parameters.get(count_parameter(component), "1")
            counts[component] = int(value) if value.isdigit() else 1
        return counts

    def wait_stable(self, progress: Progress, names: list[str] | None = None) -> list[ComponentState]:
        facts = self.ecs_facts
        names = list(facts.services.values()) if names is None else names
        if names:
            progress.step(f"waiting for {len(names)} service(s) to be stable")
            components = {service: component for component, service in facts.services.items()}

            def check(states: dict[str, ServiceState]) -> None:
                for name, state in sorted(states.items()):
                    if is_crash_looping(state):
                        raise crash_loop_error(self, components.get(name, name), state)

            self.ecs.wait_stable(facts.cluster, names, timeout=STABLE_TIMEOUT, check=check)
        return self.components()

    def explain_stack_failure(self, error: StackFailed, since: float) -> StackFailed:
        """A rolled-back update whose services' tasks kept exiting (ECS's circuit breaker): which
        component, ECS's reason and its last lines, beside CloudFormation's event."""
        self.refresh()
        try:
            found = failed_at_start(self, since)
        except AirhostError:  # no services to look at (a first create rolled back)
            return error
        if found is None:
            return error
        component, said = found
        hint = crash_loop_hint(self, component)
        return StackFailed(f"{error.message}\n{said}", stack=error.stack, status=error.status,
                           resource=error.resource, reason=error.reason,
                           hint=f"{error.hint}; {hint}" if error.hint else hint)

    def scale(self, counts: dict[str, int], progress: Progress, *,
              wait: bool = True) -> list[ComponentState]:
        """Set the named components' counts; wait until their services are stable."""
        facts = self.ecs_facts
        unknown = sorted(set(counts) - set(facts.services))
        if unknown:
            raise UsageError(f"no component {', '.join(unknown)} in environment {self.env.name}",
                             hint="its components: " + ", ".join(sorted(facts.services)))
        for component, count in sorted(counts.items()):
            if count < 0:
                raise UsageError(f"{component}={count}: a count cannot be negative")
            progress.step(f"scaling {component} ({facts.services[component]}) to {count}")
            self.ecs.set_desired_count(facts.cluster, facts.services[component], count)
        names = [facts.services[component] for component in counts]
        if wait and names:
            return self.wait_stable(progress, names)
        return self.components()

    def start(self, progress: Progress, stacks: list[StackTemplate]) -> None:
        """The stacks' counts already start the services; nothing else starts on ECS."""

    def suspend_scaling(self, progress: Progress) -> None:
        """Every scalable target's scheduled actions and policies suspended: a wake action raises
        the minimum, and Application Auto Scaling would start tasks up to it."""
        self._set_scaling_suspended(True, progress)

    def resume_scaling(self, progress: Progress) -> None:
        self._set_scaling_suspended(False, progress)

    def suspended_scaling(self) -> list[str]:
        return [target.service for target in self._scalable_targets() if target.suspended]

    def _scalable_targets(self) -> list[ScalableTarget]:
        facts = self.ecs_facts
        return self.autoscaling.targets(facts.cluster, list(facts.services.values()))

    def _set_scaling_suspended(self, suspended: bool, progress: Progress) -> None:
        for target in self._scalable_targets():
            if target.suspended != suspended:
                progress.detail(f"scaling of {target.service} "
                                f"{'suspended' if suspended else 'resumed'} (schedule, autoscaling)")
                self.autoscaling.set_suspended(target.resource_id, suspended)

    def park(self, progress: Progress, *, wait: bool = True) -> list[ComponentState]:
        """Scale every component to zero, remembering the counts for ``resume``."""
        facts = self.ecs_facts
        current = {component: state.desired for component, state in self.service_states().items()}
        targets = self.autoscaling.targets(facts.cluster, list(facts.services.values()))
        bounds = {t.resource_id: [t.minimum, t.maximum] for t in targets if t.maximum > 0}
        if any(current.values()) or bounds:
            self.parameters.put_json(self.parameter_name(PARKED), {
                "counts": current, "bounds": bounds, "parked_at": self.clock.utcnow().isoformat()},
                description="service counts before 'airhost scale --to-zero'")
        else:
            progress.detail("every service is already at zero")
        for target in bounds:
            progress.detail(f"autoscaling of {target.rsplit('/', 1)[-1]} held at 0")
            self.autoscaling.set_bounds(target, 0, 0)
        states = self.scale({component: 0 for component in current}, progress, wait=wait)
        # after the services are stable at zero: nothing needs a way out any more
        self.set_egress(EGRESS_PARKED, progress)
        return states

    def resume(self, progress: Progress, *, wait: bool = True) -> list[ComponentState]:
        """Bring back the counts recorded when parking, or the configured ones."""
        record = self.parameters.get_json(self.parameter_name(PARKED))
        counts = {k: int(v) for k, v in (record or {}).get("counts", {}).items()
                  if k in self.ecs_facts.services} or self.configured_counts()
        progress.detail("resuming the counts recorded when parking" if record else
                        "no parking record: resuming the configured counts")
        # before any service starts: images, secrets and logs need the way out
        self.set_egress(EGRESS_RUNNING, progress)
        for target, (minimum, maximum) in self._resume_bounds(record).items():
            progress.detail(f"autoscaling of {target.rsplit('/', 1)[-1]} back to {minimum}-{maximum}")
            self.autoscaling.set_bounds(target, minimum, maximum)
        states = self.scale(counts, progress, wait=wait)
        self.parameters.delete(self.parameter_name(PARKED))
        return states


    def _resume_bounds(self, record: dict[str, Any] | None) -> dict[str, tuple[int, int]]:
        """Each scalable target's bounds to resume: recorded when parking, else as deployed.

        A scheduled sleep leaves min and max at 0 and no record; without the deployed bounds a
        resumed worker group could never scale above 0.
        """
        facts = self.ecs_facts
        bounds = {resource_id(facts.cluster, facts.services[component]): span
                  for component, span in facts.bounds.items() if component in facts.services}
        recorded = {target: (int(low), int(high))
                    for target, (low, high) in (record or {}).get("bounds", {}).items()}
        return {**bounds, **recorded}


def _component(component: str, state: ServiceState | None, service: str) -> ComponentState:
    if state is None:
        return ComponentState(component, "MISSING", where=service)
    word = ("RUNNING" if state.running and state.running >= state.desired else
            "STOPPED" if not state.desired and not state.running else
            "CRASH_LOOP" if is_crash_looping(state) else "PENDING")
    return ComponentState(component, word, desired=state.desired, running=state.running,
                          pending=state.pending, restarts=state.failed_tasks, where=service)
