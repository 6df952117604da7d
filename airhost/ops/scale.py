"""Service counts: scale components, park an environment at zero compute, resume it.

The configured counts are the airflow stack's ``DesiredCount<Component>`` parameters (the steady state
the deploy set). Parking records the counts it found in SSM, so ``resume`` brings back what ran,
including manual scaling; the database and buckets stay. Services that autoscale (Celery workers)
are parked with min and max at 0, so no scaling policy brings them back, and resumed with their
recorded bounds.
"""

from __future__ import annotations

from airhost.aws.ecs import ServiceState
from airhost.errors import UsageError
from airhost.ops.environment import AwsEnvironment
from airhost.ops.progress import Progress

PARKED = "parked"
STABLE_TIMEOUT = 1800.0


def count_parameter(component: str) -> str:
    """The airflow stack's parameter holding a component's count: api-server → DesiredCountApiServer."""
    return "DesiredCount" + "".join(part.capitalize() for part in component.split("-"))


def configured_counts(aws: AwsEnvironment) -> dict[str, int]:
    """Each component's count as the airflow stack's parameters set it (1 when not a parameter)."""
    stack = aws.cloudformation.require(aws.stack_name("airflow"))
    counts = {}
    for component in aws.facts.services:
        value = stack.parameters.get(count_parameter(component), "1")
        counts[component] = int(value) if value.isdigit() else 1
    return counts


def service_states(aws: AwsEnvironment) -> dict[str, ServiceState]:
    """Each component's service state, by component."""
    facts = aws.facts
    by_name = aws.ecs.describe_services(facts.cluster, list(facts.services.values()))
    return {component: by_name[name] for component, name in facts.services.items() if name in by_name}


def scale(aws: AwsEnvironment, counts: dict[str, int], progress: Progress, *, wait: bool = True,
          timeout: float = STABLE_TIMEOUT) -> dict[str, dict]:
    """Set the named components' counts; wait until their services are stable."""
    facts = aws.facts
    unknown = sorted(set(counts) - set(facts.services))
    if unknown:
        raise UsageError(f"no component {', '.join(unknown)} in environment {aws.env.name}",
                         hint="its components: " + ", ".join(sorted(facts.services)))
    for component, count in sorted(counts.items()):
        if count < 0:
            raise UsageError(f"{component}={count}: a count cannot be negative")
        progress.step(f"scaling {component} ({facts.services[component]}) to {count}")
        aws.ecs.set_desired_count(facts.cluster, facts.services[component], count)
    names = [facts.services[component] for component in counts]
    if wait and names:
        progress.step("waiting for the services to be stable")
        aws.ecs.wait_stable(facts.cluster, names, timeout=timeout)
    return {component: _state(state) for component, state in service_states(aws).items()}


def park(aws: AwsEnvironment, progress: Progress, *, wait: bool = True) -> dict[str, dict]:
    """Scale every component to zero, remembering the counts for ``resume``."""
    current = {component: state.desired for component, state in service_states(aws).items()}
    targets = aws.autoscaling.targets(aws.facts.cluster, list(aws.facts.services.values()))
    bounds = {t.resource_id: [t.minimum, t.maximum] for t in targets if t.maximum > 0}
    if any(current.values()) or bounds:
        aws.parameters.put_json(aws.parameter_name(PARKED), {
            "counts": current, "bounds": bounds, "parked_at": aws.clock.utcnow().isoformat()},
            description="service counts before 'airhost scale --to-zero'")
    else:
        progress.detail("every service is already at zero")
    for target in bounds:
        progress.detail(f"autoscaling of {target.rsplit('/', 1)[-1]} held at 0")
        aws.autoscaling.set_bounds(target, 0, 0)
    return scale(aws, {component: 0 for component in current}, progress, wait=wait)


def resume(aws: AwsEnvironment, progress: Progress, *, wait: bool = True) -> dict[str, dict]:
    """Bring back the counts recorded when parking, or the configured ones."""
    record = aws.parameters.get_json(aws.parameter_name(PARKED))
    counts = {k: int(v) for k, v in (record or {}).get("counts", {}).items()
              if k in aws.facts.services} or configured_counts(aws)
    progress.detail("resuming the counts recorded when parking" if record else
                    "no parking record: resuming the configured counts")
    for target, (minimum, maximum) in (record or {}).get("bounds", {}).items():
        progress.detail(f"autoscaling of {target.rsplit('/', 1)[-1]} back to {minimum}-{maximum}")
        aws.autoscaling.set_bounds(target, minimum, maximum)
    states = scale(aws, counts, progress, wait=wait)
    aws.parameters.delete(aws.parameter_name(PARKED))
    return states


def parse_counts(pairs: list[str]) -> dict[str, int]:
    """``["worker=3", "scheduler=2"]`` as {component: count}."""
    counts: dict[str, int] = {}
    for pair in pairs:
        component, _, value = pair.partition("=")
        if not component or not value.strip().isdigit():
            raise UsageError(f"'{pair}' is not COMPONENT=COUNT", hint="e.g. worker=3 scheduler=2")
        counts[component.strip()] = int(value)
    return counts


def _state(state: ServiceState) -> dict:
    return {"service": state.name, "desired": state.desired, "running": state.running,
            "pending": state.pending, "status": state.status}
