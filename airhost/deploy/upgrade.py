"""Upgrading Airflow on a cloud target in an order that keeps the previous release one step away.

A plain stack update would roll the new image out while the database still has the old schema, and
only then migrate. An upgrade (``airhost upgrade``, or a ``deploy`` whose Airflow version differs
from the recorded release) goes instead:

1. check the jump from the release's version to the target (``check_jump``): Airflow 3 only, no
   downgrade (Airflow's own ``db downgrade`` exists, but going back here means restoring the
   pre-upgrade snapshot), minor releases may be skipped (``airflow db migrate`` applies every
   migration in between); a project image (``ecs.image: ecr``) needs the new image given; a
   requirements file pinning ``apache-airflow`` to another version is refused;
2. the network, data and access stacks, as a deploy does;
3. a ``pre-upgrade`` snapshot of the database, waited for;
4. stop: the compute stack updated with the NEW template and image and its ``counts`` at 0 — the
   old components stop, the new definitions (ECS's utils task definition included) exist, nothing
   new starts. ECS cannot override a task's image, so this is how the migration gets the new image;
5. migrate: ``airflow db migrate`` (and the admin user) as a one-off task of the new utils task
   definition, its log streamed and exit code checked;
6. start: the compute stack with the configured counts (and the target's own start); wait until
   stable; health where the API server is reachable;
7. record the release.

Steps 2 and 4–7 are the deploy pipeline's own (``airhost.deploy.pipeline``), composed here.
On a failure in 4 CloudFormation has rolled the stack back: the previous release serves. On a
failure in 5 or 6 the database may hold the new schema: the compute stack gets its previous template
and parameters back with the counts at 0, the pre-upgrade snapshot is restored (after confirmation,
or at once with ``auto_restore``), then the previous counts start. A declined restore leaves the
previous release stopped, so an old scheduler never runs on a new schema. Every failure ends in an
``UpgradeFailed`` that says where each part stands.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from airhost.airflow_api import check_health
from airhost.config.models import Environment
from airhost.config.support import parse_airflow_version
from airhost.deploy.pipeline import (
    DeploySummary, deploy_stacks, migrate, open_cloud, parameters_for, record, render,
)
from airhost.errors import Aborted, AirhostError, UsageError
from airhost.ops.backup import switch_database, take_backup
from airhost.ops.image import IMAGE_RECORD
from airhost.ops.release import read_release
from airhost.progress import Progress
from airhost.render.stacks import StackTemplate
from airhost.stacks.apply import StackResult, deploy_stack
from airhost.targets.cloud import CloudEnvironment


def pushed_image_for(aws: CloudEnvironment, version: str) -> str | None:
    """The image 'airhost image push' recorded, when it was built for Airflow ``version``."""
    record = aws.parameters.get_json(aws.parameter_name(IMAGE_RECORD)) or {}
    return record.get("image") if record.get("airflow_version") == version else None


class UpgradeFailed(AirhostError):
    """An upgrade step failed; ``account`` says where the services and the database stand."""

    def __init__(self, message: str, *, account: list[str], hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.account = account

    def __str__(self) -> str:
        return super().__str__() + "".join(f"\n  - {line}" for line in self.account)


def check_jump(current: str, target: str) -> list[str]:
    """Notes about the jump from ``current`` to ``target``; UsageError when it is not supported."""
    try:
        old, new = parse_airflow_version(current), parse_airflow_version(target)
    except ValueError as error:
        raise UsageError(f"cannot upgrade from Airflow {current} to {target}: {error}") from None
    if new < old:
        raise UsageError(
            f"Airflow {target} is older than the running {current}: airhost does not downgrade",
            hint="to go back, restore the snapshot taken before the upgrade ('airhost backups' "
                 "lists it, kind pre-upgrade) and set airflow.version back in airhost.yaml")
    notes = []
    if new[1] - old[1] > 1:
        notes.append(f"skipping {new[1] - old[1] - 1} minor release(s): 'airflow db migrate' applies "
                     "every migration in between; read the release notes of each for breaking "
                     "changes")
    if new[:2] != old[:2]:
        notes.append("providers bundled with the official image move with it; pinned providers in "
                     "requirements must support the new Airflow")
    return notes


def check_requirements(env: Environment, root: Path | None, target: str) -> None:
    """Refuse a requirements file that pins apache-airflow to another version."""
    if root is None or not env.airflow.requirements:
        return
    path = root / env.airflow.requirements
    if not path.is_file():
        return
    for line in path.read_text(errors="replace").splitlines():
        match = re.match(r"^\s*apache-airflow\s*==\s*([0-9.]+)\s*(#.*)?$", line)
        if match and match.group(1) != target:
            raise UsageError(f"{path.name} pins apache-airflow=={match.group(1)}, not {target}",
                             hint="remove the pin (airhost installs the configured version) or "
                                  "change it")


def resolve_with_target(env: Environment, root: Path | None, target: str) -> str | None:
    """Resolve Airflow ``target`` together with the project's requirements, as the image installs them.

    Returns the resolver's explanation when no set of versions fits (e.g. a pinned provider that
    needs an older Airflow), None when they fit or when there is nothing to check. The install is
    the image's: ``target``'s constraints (``airhost.install.constraints``) with the requirements
    layered on top, resolved by uv for the image's Python. It reads the package index: an index out
    of reach, or a resolution that does not finish, is an error — never a pass.
    """
    if root is None or not env.airflow.requirements:
        return None
    path = root / env.airflow.requirements
    lines = [line.strip() for line in path.read_text(errors="replace").splitlines()] if path.is_file() else []
    if not any(line and not line.startswith("#") for line in lines):
        return None
    from airhost.install.constraints import (IndexUnreachable, looks_unreachable,
                                             release_constraints)
    from airhost.local.python_env import airflow_extras
    from airhost.render.dockerfile import config_packages
    from airhost.tools.uv import uv_binary, uv_environment

    extras = airflow_extras(env)
    unreachable = ("could not reach the package index to check Airflow {target} against "
                   "{requirements}: nothing was changed")
    hint = "check the network (PyPI must be reachable) and run the upgrade again"
    try:
        constraints = release_constraints(
            target, env.airflow.python, extras,
            project_file=(root / env.airflow.constraints) if env.airflow.constraints else None)
    except IndexUnreachable as error:
        raise UsageError(unreachable.format(target=target, requirements=env.airflow.requirements)
                         + f"\n{error.message}", hint=hint) from None
    with tempfile.TemporaryDirectory(prefix="airhost-resolve-") as folder:
        wanted = Path(folder) / "wanted.txt"
        packages = "".join(f"{package}\n" for package in config_packages(env))  # as the image has them
        wanted.write_text(f"apache-airflow[{','.join(extras)}]=={target}\n{packages}-r {path}\n")
        pins = Path(folder) / "constraints.txt"
        pins.write_text(constraints.layered(path.read_text(errors="replace")))
        try:
            result = subprocess.run(
                [uv_binary(), "pip", "compile", "--quiet", "--python-version", env.airflow.python,
                 "--constraint", str(pins), "--output-file", str(Path(folder) / "resolved.txt"),
                 str(wanted)],
                capture_output=True, text=True, timeout=300, check=False, env=uv_environment())
        except subprocess.TimeoutExpired:
            raise UsageError(f"checking Airflow {target} against {env.airflow.requirements} did not "
                             "finish within 300 s: nothing was changed", hint=hint) from None
    if result.returncode == 0:
        return None
    detail = result.stderr.strip() or result.stdout.strip() or f"exit {result.returncode}"
    if looks_unreachable(detail):
        raise UsageError(unreachable.format(target=target, requirements=env.airflow.requirements)
                         + f"\n{detail}", hint=hint)
    return detail


def check_compatibility(env: Environment, root: Path | None, target: str) -> None:
    """Refuse an upgrade whose Airflow cannot be installed with the project's requirements."""
    conflict = resolve_with_target(env, root, target)
    if conflict:
        raise UsageError(
            f"Airflow {target} cannot be installed together with {env.airflow.requirements}: "
            f"nothing was changed\n{conflict}",
            hint="loosen or update the pins named above (providers must support the new Airflow)")


@dataclass(frozen=True)
class UpgradePlan:
    """What an upgrade would do: from which Airflow to which, with which image, in which steps."""

    environment: str
    current: str
    target: str
    upgrade: bool
    notes: tuple[str, ...] = ()
    image_from: str | None = None
    image_to: str | None = None
    steps: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"environment": self.environment, "from": self.current, "to": self.target,
                "upgrade": self.upgrade, "notes": list(self.notes),
                "image": {"from": self.image_from, "to": self.image_to},
                "steps": list(self.steps)}


def describe_upgrade(env: Environment, aws: CloudEnvironment, *, image: str | None = None,
                     root: Path | None = None) -> UpgradePlan:
    """What an upgrade of ``env`` would do; read-only."""
    release = read_release(aws)
    if not release or not release.bootstrapped:
        raise UsageError(f"environment {env.name} has no completed deploy to upgrade",
                         hint=f"run 'airhost deploy {env.name}' first")
    current, target = release.airflow_version, env.airflow.version
    if current == target:
        return UpgradePlan(env.name, current, target, False,
                           notes=(f"{env.name} already runs Airflow {target}",))
    notes = check_jump(current, target)
    check_requirements(env, root, target)
    check_compatibility(env, root, target)
    if aws.project_image() and not image:
        image = pushed_image_for(aws, target)
    if aws.project_image() and not image:
        raise UsageError(f"{env.name} runs the project's own image: the upgrade needs one built "
                         f"for Airflow {target}",
                         hint=f"set airflow.version to {target}, run 'airhost image build' and "
                              "'airhost image push' (or pass --image)")
    new_image = image or aws.upgrade_artifact(target)
    return UpgradePlan(
        env.name, current, target, True, notes=tuple(notes), image_from=release.image,
        image_to=new_image, steps=(
            "deploy the shared stacks (their changes, if any)",
            f"snapshot the database (kind pre-upgrade, kept {env.database.keep_backups} deep)",
            f"stop every component; update the compute stack to run {new_image}",
            f"run 'airflow db migrate' with {new_image}",
            "start the components at their configured counts; wait until stable and healthy",
            "record the release",
            "on failure: the previous compute stack back, the pre-upgrade snapshot restored "
            "(asked, or --auto-restore), the previous release started",
        ))


def upgrade_environment(env: Environment, config_hash: str, progress: Progress, *,
                        deployment: CloudEnvironment | None = None,
                        stacks: list[StackTemplate] | None = None, confirm: bool = True,
                        image: str | None = None, auto_restore: bool = False,
                        root: Path | None = None) -> DeploySummary:
    """Upgrade ``env`` to its configured Airflow version; the deploy summary plus ``upgrade``."""
    aws = deployment or open_cloud(env)
    plan = describe_upgrade(env, aws, image=image, root=root)
    if not plan.upgrade:
        raise UsageError(plan.notes[0], hint="nothing to upgrade; 'airhost deploy' ships other changes")
    for note in plan.notes:
        progress.warn(note)
    if confirm and not progress.confirm(
            f"upgrade {env.name} from Airflow {plan.current} to {plan.target}? "
            "Airflow stops during the migration"):
        raise Aborted("not upgrading: declined", hint="nothing was changed")
    stacks = render(env, config_hash) if stacks is None else stacks
    compute = next(stack for stack in stacks if stack.layer == aws.compute)
    progress.step(f"upgrading {aws.label}: Airflow {plan.current} → {plan.target}")
    results, _ = deploy_stacks(aws, [s for s in stacks if s is not compute], progress,
                               confirm=confirm, image=image, hold=False)
    backup = take_backup(aws, progress, kind="pre-upgrade",
                         note=f"before Airflow {plan.current} to {plan.target}")
    existing = aws.cloudformation.require(compute.name)
    previous = _Previous(compute, aws.cloudformation.template(compute.name),
                         dict(existing.parameters), plan.image_from or aws.facts().image)
    aws.checkpoint()
    # the images are passed explicitly both ways: what runs never hangs on a template default
    new_image = image or plan.image_to
    run = _Run(aws, progress, plan, backup["snapshot"], previous, auto_restore)
    run.stop_with_new_image(compute, results, new_image)
    steps = run.migrate()
    results.append(run.start(compute, results, new_image))
    components = aws.wait_stable(progress)
    release = record(aws, config_hash, results, progress)
    facts = aws.facts()
    return DeploySummary(
        environment=env.name, region=aws.session.region, changed=True, stacks=tuple(results),
        bootstrap=steps, components=tuple(components), health=run.health, release=release,
        url=facts.url, admin_secret=facts.admin_secret,
        upgrade={"from": plan.current, "to": plan.target, "snapshot": backup["snapshot"],
                 "notes": list(plan.notes)})


class _Previous:
    """The compute stack as it was before the upgrade: what a rollback puts back."""

    def __init__(self, stack: StackTemplate, template: dict[str, Any], parameters: dict[str, str],
                 running: str = ""):
        self.stack = StackTemplate(layer=stack.layer, name=stack.name, template=template,
                                   tags=stack.tags, counts=stack.counts)
        declared = template.get("Parameters", {})
        image = parameters.get("Image") or declared.get("Image", {}).get("Default", "")
        # An SSM-typed parameter (EC2's image ids) keeps its default, the public parameter's path.
        parameters = {key: value for key, value in parameters.items() if not str(
            declared.get(key, {}).get("Type", "")).startswith("AWS::SSM::Parameter::Value")}
        self.parameters = {**parameters, "Image": image} if image else parameters
        self.image = image or running  # what the release runs from (EC2: its wheelhouses)


class _Run:
    """Steps 4 to 6 and, when one fails, the rollback and its account."""

    def __init__(self, aws: CloudEnvironment, progress: Progress, plan: UpgradePlan, snapshot: str,
                 previous: _Previous, auto_restore: bool) -> None:
        self.aws, self.progress, self.plan = aws, progress, plan
        self.snapshot, self.previous, self.auto_restore = snapshot, previous, auto_restore
        self.health: dict[str, Any] = {}

    def stop_with_new_image(self, compute: StackTemplate, results: list[StackResult],
                            image: str) -> None:
        self.progress.step("stopping the components and updating the compute stack to the new image")
        try:
            deploy_stacks(self.aws, [compute], self.progress, confirm=False, image=image,
                          hold=True, results=results)
            self.aws.hold(self.progress)
        except AirhostError as error:
            raise self._failed("stopping the services", error, [
                f"compute stack: rolled back by CloudFormation, the previous release "
                f"({self.previous.image}) serves",
                f"database: untouched (pre-upgrade snapshot {self.snapshot})"]) from None
        self.aws.refresh()

    def migrate(self) -> dict:
        try:
            return migrate(self.aws, self.progress)
        except AirhostError as error:
            raise self._rolled_back("migrating the database", error) from None

    def start(self, compute: StackTemplate, results: list[StackResult], image: str) -> StackResult:
        self.progress.step(f"starting Airflow {self.plan.target}")
        try:
            parameters = parameters_for(self.aws, compute, results, image, progress=self.progress)
            result = deploy_stack(self.aws.cloudformation, compute, parameters, self.progress,
                                  confirm=False)
            self.aws.refresh()
            self.aws.start(self.progress, [compute])
            self.aws.resume_scaling(self.progress)
            self.aws.wait_stable(self.progress)
            self.health = check_health(self.aws.facts().url)
            if self.health["checked"] and not self.health["healthy"]:
                raise UsageError(f"the API server is not healthy: {self.health['reason']} "
                                 f"{self.health['components']}")
        except AirhostError as error:
            raise self._rolled_back(f"starting Airflow {self.plan.target}", error) from None
        return result

    def _rolled_back(self, step: str, error: AirhostError) -> UpgradeFailed:
        """Previous task definitions, stopped; the snapshot restored if allowed; then started."""
        aws, progress, previous = self.aws, self.progress, self.previous
        account: list[str] = []
        progress.step(f"{step} failed: rolling back to the previous release ({previous.image})")
        try:
            deploy_stack(aws.cloudformation, previous.stack,
                         previous.stack.held(previous.parameters), progress, confirm=False)
            aws.refresh()
            aws.hold(progress)  # a release manager's own rollback (Helm's) may have started it
            restore = self.auto_restore or progress.confirm(
                f"restore the pre-upgrade snapshot {self.snapshot}? The migration ran and the "
                "database may hold the new schema")
            if not restore:
                account += [f"compute stack: previous release ({previous.image}), services STOPPED: "
                            "the database may hold the new schema",
                            f"database: not restored — restore it with 'airhost restore "
                            f"{aws.env.name} {self.snapshot}', or upgrade again",
                            ("office hours and autoscaling: suspended, so nothing starts the "
                             "previous release meanwhile, until the next deploy, upgrade or "
                             f"'airhost scale {aws.env.name} --resume'")]
                return self._failed(step, error, account)
            switched = switch_database(aws, self.snapshot, progress)
            account.append(f"database: restored from {self.snapshot} into {switched['instance']}; "
                           f"the migrated one, {switched['previous_instance']}, is kept until "
                           f"'airhost restore {aws.env.name} --cleanup'")
            progress.step("starting the previous release")
            deploy_stack(aws.cloudformation, previous.stack, previous.parameters, progress,
                         confirm=False)
            aws.refresh()
            aws.start_previous(progress, [previous.stack])
            aws.resume_scaling(progress)
            aws.wait_stable(progress)
            account.insert(0, f"compute stack: previous release ({previous.image}) serving")
        except AirhostError as second:
            account.append(f"the rollback itself failed: {second}")
            account.append(f"pre-upgrade snapshot: {self.snapshot}")
        return self._failed(step, error, account)

    def _failed(self, step: str, error: AirhostError, account: list[str]) -> UpgradeFailed:
        return UpgradeFailed(
            f"upgrade of {self.aws.env.name} to Airflow {self.plan.target} failed while {step}: "
            f"{error.message.removesuffix(': the services were not started')}", account=account + [f"release record: still Airflow {self.plan.current}"],
            hint="fix the cause (see the log above), then run the upgrade again")
