"""The deploy, step by step, written once for every cloud target; every step converges.

1. **lint**: the target renders the environment's stacks (pure) and cfn-lint checks them
   in-process: errors block before any AWS call;
2. **stacks**: for each stack in order, parameters from the config, from earlier stacks' outputs
   and from the target (the image), a change set, the changes shown and confirmed, executed,
   events streamed; an empty change set is "no changes". Until a deploy has completed its
   bootstrap (the release record says so) every stack's ``counts`` are held at 0: nothing may
   start before the database is migrated, even when a first deploy is re-run;
3. **prepare** and **hold**: the target puts in place what its commands need (EKS: the
   namespace and the Kubernetes secrets) and makes sure nothing of Airflow runs while the database is migrated;
4. **migrate**: ``airflow db migrate`` and the admin user as one-off commands, logs streamed, exit
   codes checked (skipped when nothing changed and the release says it already ran for this
   config);
5. **start**: held stacks updated with their configured counts, and whatever else the target
   starts;
6. **stable**: wait until every component is stable; 7. **health** through the API server where
   reachable; 8. **release** recorded in SSM.

A failed step raises an error that names it; re-running ``deploy`` resumes. ``airhost.deploy.deploy_environment``
runs them, or, when the release records another Airflow version than the config's, the upgrade
(``airhost.deploy.upgrade``), composed of the same steps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from airhost.airflow_api import check_health
from airhost.aws.errors import StackFailed
from airhost.aws.cloudformation import Stack
from airhost.config.models import Environment
from airhost.ops.bootstrap import bootstrap
from airhost.ops.release import Release, record_release
from airhost.progress import Progress
from airhost.render.lint import lint_stacks
from airhost.render.stacks import Layer, StackTemplate
from airhost.stacks.apply import StackResult, deploy_stack
from airhost.stacks.changeset import stack_parameters
from airhost.targets import ComponentState, target_of
from airhost.targets.cloud import CloudEnvironment


@dataclass(frozen=True)
class DeploySummary:
    """What a deploy (or an upgrade) did, for the CLI's table and ``--output json``."""

    environment: str
    region: str
    changed: bool
    stacks: tuple[StackResult, ...]
    bootstrap: dict[str, Any]
    components: tuple[ComponentState, ...]
    health: dict[str, Any]
    release: Release
    url: str | None
    admin_secret: str | None
    upgrade: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        data = {"environment": self.environment, "region": self.region, "changed": self.changed,
                "stacks": [result.to_json() for result in self.stacks],
                "bootstrap": self.bootstrap,
                "components": [component.to_json() for component in self.components],
                "health": self.health, "release": self.release.to_json(), "url": self.url,
                "admin_secret": self.admin_secret, **self.extra}
        if self.upgrade is not None:
            data["upgrade"] = self.upgrade
        return data


def render(env: Environment, config_hash: str) -> list[StackTemplate]:
    """The environment's stacks, from its target's renderer."""
    target = target_of(env)
    assert target.render is not None, f"target {target.name} renders no stacks"
    return target.render(env, config_hash)


def lint(stacks: list[StackTemplate], env: Environment, progress: Progress) -> None:
    progress.step(f"linting {len(stacks)} templates")
    for name, finding in lint_stacks(stacks, env.region or "us-east-1"):
        progress.warn(f"{name}: {finding}")


def parameters_for(deployment: CloudEnvironment, stack: StackTemplate,
                   results: list[StackResult], image: str | None,
                   existing: Stack | None = None, *,
                   progress: Progress | None = None) -> dict[str, str]:
    """The stack's parameter values: rendered, from earlier outputs, then the target's say
    (what it built and uploaded for the stack, such as EC2's wheelhouse; the image to run)."""
    outputs: dict[Layer, dict[str, str]] = {result.layer: result.outputs for result in results}
    existing = existing or deployment.cloudformation.describe(stack.name)
    values = stack_parameters(stack, outputs, existing)
    values = deployment.stack_artifacts(stack, values, progress or Progress())
    return deployment.stack_parameters(stack, values, image)


def deploy_stacks(deployment: CloudEnvironment, stacks: list[StackTemplate], progress: Progress,
                  *, confirm: bool, image: str | None, hold: bool,
                  results: list[StackResult] | None = None) -> tuple[list[StackResult], list[StackTemplate]]:
    """Each stack through its change set; with ``hold`` their counts stay at 0.

    Returns the results (after any given ``results``) and the stacks whose counts were held.
    A stack created for the first time is always held: nothing starts before a migration.
    """
    results = list(results or [])
    held: list[StackTemplate] = []
    for stack in stacks:
        existing = deployment.cloudformation.describe(stack.name)
        parameters = parameters_for(deployment, stack, results, image, existing,
                                    progress=progress)
        if stack.counts and (hold or existing is None or existing.never_created):
            zero = stack.held(parameters)
            if zero != parameters:
                parameters = zero
                held.append(stack)
        results.append(_deploy(deployment, stack, parameters, progress, confirm=confirm))
    deployment.refresh()
    return results, held


def _deploy(deployment: CloudEnvironment, stack: StackTemplate, parameters: dict[str, str],
            progress: Progress, *, confirm: bool) -> StackResult:
    """One stack; a stack that starts components and fails says why they would not start."""
    since = deployment.clock.utcnow().timestamp()
    try:
        return deploy_stack(deployment.cloudformation, stack, parameters, progress, confirm=confirm)
    except StackFailed as error:
        if not stack.counts:
            raise
        raise deployment.explain_stack_failure(error, since) from error


def migrate(deployment: CloudEnvironment, progress: Progress) -> dict[str, Any]:
    """``airflow db migrate`` (and the admin user) as one-off commands."""
    return bootstrap(deployment, progress)


def start(deployment: CloudEnvironment, held: list[StackTemplate], results: list[StackResult],
          progress: Progress, *, image: str | None) -> list[StackResult]:
    """Held stacks updated with their configured counts; then the target's own start; then
    the office hours and autoscaling again."""
    started = []
    if held:
        progress.step("starting the components at their configured counts")
    for stack in held:
        parameters = parameters_for(deployment, stack, results, image, progress=progress)
        started.append(_deploy(deployment, stack, parameters, progress, confirm=False))
    deployment.refresh()
    deployment.start(progress, held)
    deployment.resume_scaling(progress)  # after a hold, this one's or an earlier one's
    return started


def check(deployment: CloudEnvironment, progress: Progress) -> dict[str, Any]:
    """Health through the API server where this machine can reach it."""
    health = check_health(deployment.facts().url)
    if health["checked"] and not health["healthy"]:
        progress.warn(f"the API server does not report healthy yet: {health['reason']} "
                      f"{health['components']}")
    return health


def record(deployment: CloudEnvironment, config_hash: str, results: list[StackResult],
           progress: Progress) -> Release:
    progress.step("recording the release")
    return record_release(deployment, config_hash=config_hash, image=deployment.facts().image,
                          stacks={r.name: r.status for r in results}, bootstrapped=True)


def open_cloud(env: Environment) -> CloudEnvironment:
    deployment = target_of(env).open(None, env)
    assert isinstance(deployment, CloudEnvironment), f"{env.name} is not a cloud environment"
    return deployment


def run_pipeline(env: Environment, config_hash: str, progress: Progress, *,
                 deployment: CloudEnvironment, stacks: list[StackTemplate],
                 previous: Release | None, image: str | None,
                 confirm: bool = True) -> DeploySummary:
    """Steps 2 to 8 for linted ``stacks``: stacks → hold → migrate → start → stable → health → release."""
    bootstrapped = bool(previous and previous.bootstrapped)
    progress.step(f"deploying {deployment.label}")
    results, held = deploy_stacks(deployment, stacks, progress, confirm=confirm, image=image,
                                  hold=not bootstrapped)
    changed = any(result.action != "unchanged" for result in results)
    deployment.prepare(progress)
    current = bool(previous and previous.config_hash == config_hash and bootstrapped)
    steps: dict[str, Any] = {}
    if changed or not current:
        if held:
            deployment.hold(progress)
        steps = migrate(deployment, progress)
    else:
        progress.detail("no changes, and the release is current: the database needs no migration")
    results += start(deployment, held, results, progress, image=image)
    components = deployment.wait_stable(progress)
    health = check(deployment, progress)
    release = record(deployment, config_hash, results, progress)
    facts = deployment.facts()
    return DeploySummary(environment=env.name, region=deployment.session.region, changed=changed,
                         stacks=tuple(results), bootstrap=steps, components=tuple(components),
                         health=health, release=release, url=facts.url,
                         admin_secret=facts.admin_secret)
