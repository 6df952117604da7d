"""The ECS deploy, step by step; every step converges, so an interrupted deploy is simply re-run.

1. render the environment's stacks (pure) and lint them in-process with cfn-lint: errors block
   before any AWS call;
2. for each stack in order (network → data → access → airflow): parameters from the config and
   from earlier stacks' outputs, a change set, the changes shown and confirmed, executed, events
   streamed; an empty change set is "no changes". Until a deploy has completed its bootstrap (the
   release record says so) every ``DesiredCount*`` of the airflow stack is held at 0: nothing may
   start before the database is migrated, even when a first deploy is re-run;
3. bootstrap: ``airflow db migrate`` and the admin user as one-off tasks, logs streamed, exit codes
   checked (skipped when nothing changed and the release says it already ran for this config);
4. if counts were held, update the airflow stack with the configured counts;
5. wait until the services are stable; check health through the API server where reachable;
6. record the release in SSM.

When the release records another Airflow version than the config's, the deploy is an upgrade and
takes ``airhost.deploy.upgrade``'s order instead (snapshot, stop, migrate with the new image, start,
roll back on failure).
"""

from __future__ import annotations

from typing import Any

from airhost.aws.cloudformation import Stack
from airhost.config.models import Environment
from airhost.deploy.lint import lint_stacks
from airhost.deploy.release import read_release, record_release
from airhost.deploy.stacks import StackResult, deploy_stack
from airhost.errors import UsageError
from airhost.ops.bootstrap import bootstrap
from airhost.ops.environment import AwsEnvironment
from airhost.ops.health import check_health
from airhost.ops.image import pushed_image
from airhost.ops.progress import Progress
from airhost.plan.changeset import stack_parameters
from airhost.render.stacks import Layer, StackTemplate

STABLE_TIMEOUT = 1800.0


def render(env: Environment, config_hash: str) -> list[StackTemplate]:
    from airhost.render.ecs import render_stacks  # the renderer of the environment's target

    return render_stacks(env, config_hash)


def deploy_environment(env: Environment, config_hash: str, progress: Progress, *,
                       aws: AwsEnvironment | None = None, stacks: list[StackTemplate] | None = None,
                       confirm: bool = True, image: str | None = None) -> dict[str, Any]:
    """Deploy ``env``; the JSON-able summary of what was done."""
    stacks = render(env, config_hash) if stacks is None else stacks
    progress.step(f"linting {len(stacks)} templates")
    for name, finding in lint_stacks(stacks, env.region or "us-east-1"):
        progress.warn(f"{name}: {finding}")
    aws = aws or AwsEnvironment(env)
    if image is None and env.ecs.image == "ecr":
        image = pushed_image(aws)  # the one 'airhost image push' recorded, if any
    previous = read_release(aws) or {}
    if previous.get("bootstrapped") and previous.get("airflow_version") not in (
            None, env.airflow.version):
        from airhost.deploy.upgrade import upgrade_environment

        progress.detail(f"the release runs Airflow {previous['airflow_version']}, the config says "
                        f"{env.airflow.version}: deploying as an upgrade")
        return upgrade_environment(env, config_hash, progress, aws=aws, stacks=stacks,
                                   confirm=confirm, image=image)
    progress.step(f"deploying {aws.label}")
    # Until one deploy has completed its bootstrap, no service may start before the migration.
    results, held = _deploy_stacks(aws, stacks, progress, confirm=confirm, image=image,
                                   hold=not previous.get("bootstrapped"))
    changed = any(result.action != "unchanged" for result in results)
    current = previous.get("config_hash") == config_hash and previous.get("bootstrapped")
    if changed or not current:
        steps = bootstrap(aws, progress)
    else:
        progress.detail("no changes, and the release is current: the database needs no migration")
        steps = {}
    if held is not None:
        progress.step("starting the services at their configured counts")
        existing = aws.cloudformation.describe(held.name)
        results.append(deploy_stack(aws, held, _parameters(held, results, image, existing),
                                    progress, confirm=False))
    services = _wait_stable(aws, progress)
    health = check_health(aws.facts.url)
    if health["checked"] and not health["healthy"]:
        progress.warn(f"the API server does not report healthy yet: {health['reason']} "
                      f"{health['components']}")
    progress.step("recording the release")
    release = record_release(aws, config_hash=config_hash, image=aws.facts.image,
                             stacks={r.name: r.status for r in results}, bootstrapped=True)
    return {"environment": env.name, "region": aws.session.region, "changed": changed,
            "stacks": [result.to_json() for result in results], "bootstrap": steps,
            "services": services, "health": health, "release": release,
            "url": aws.facts.url, "admin_secret": aws.facts.admin_secret}


def _deploy_stacks(aws: AwsEnvironment, stacks: list[StackTemplate], progress: Progress, *,
                   confirm: bool, image: str | None,
                   hold: bool) -> tuple[list[StackResult], StackTemplate | None]:
    results: list[StackResult] = []
    held: StackTemplate | None = None
    for stack in stacks:
        existing = aws.cloudformation.describe(stack.name)
        parameters = _parameters(stack, results, image, existing)
        if stack.layer == "airflow" and (hold or existing is None or existing.never_created):
            zero = {key: "0" for key in parameters if key.startswith("DesiredCount")}
            if any(parameters[key] != "0" for key in zero):
                parameters.update(zero)
                held = stack
        results.append(deploy_stack(aws, stack, parameters, progress, confirm=confirm))
    return results, held


def _parameters(stack: StackTemplate, results: list[StackResult], image: str | None,
                existing: Stack | None = None) -> dict[str, str]:
    outputs: dict[Layer, dict[str, str]] = {result.layer: result.outputs for result in results}
    parameters = stack_parameters(stack, outputs, existing)
    declared = stack.template.get("Parameters", {}).get("Image")
    if declared is None:
        return parameters
    if image:
        parameters["Image"] = image
    elif "Default" not in declared and "Image" not in parameters:
        # an image built by the project: keep the one running, or ask for one
        if existing is not None and existing.parameters.get("Image"):
            parameters["Image"] = existing.parameters["Image"]
        else:
            raise UsageError(
                f"stack {stack.name} runs the project's own image, and none has been pushed: the "
                "stacks before it are in place, its ECR repository included",
                hint="run 'airhost image build ENV' and 'airhost image push ENV' (or pass --image), "
                     "then deploy again")
    return parameters


def _wait_stable(aws: AwsEnvironment, progress: Progress) -> dict[str, dict]:
    facts = aws.facts
    names = list(facts.services.values())
    if not names:
        return {}
    progress.step(f"waiting for {len(names)} service(s) to be stable")
    states = aws.ecs.wait_stable(facts.cluster, names, timeout=STABLE_TIMEOUT)
    by_name = {name: component for component, name in facts.services.items()}
    return {by_name[name]: {"service": name, "desired": s.desired, "running": s.running}
            for name, s in states.items()}
