"""A deployed EC2 environment: its Auto Scaling groups, one-off commands, counts, logs and facts.

Components are Auto Scaling groups (compute stack output ``Groups``: group → group name); their
configured counts are the compute stack's ``DesiredCount<Group>`` parameters (the stack's
``counts``), so the generic pipeline holds them at 0 until the first migration and starts them
after. Parking records the counts in SSM and sets each group to 0 (worker groups with min and max
0, so no scaling policy brings them back); resuming brings back what was recorded. One-off
commands run through SSM Run Command on an in-service node of the ``UtilsGroup`` as
``airhost-node run -- <airflow args>``: the node's own settings and secrets, output and exit code
returned. Logs are the CloudWatch streams ``<component>/<instance id>``.
"""

from __future__ import annotations

import json
import shlex
import shutil
from functools import cached_property
from pathlib import Path
from typing import Any

from airhost.aws.commands import Commands
from airhost.aws.errors import TaskFailed, TaskTimeout, WaitTimeout
from airhost.aws.groups import SCALING_PROCESSES, GroupState
from airhost.aws.instances import Instances
from airhost.aws.session import AwsSession, Clock
from airhost.config.models import Environment
from airhost.errors import Aborted, UsageError
from airhost.progress import Progress
from airhost.render.ec2.compute import wheelhouse_parameter
from airhost.render.ec2.node import NODE_SCRIPT
from airhost.render.egress import PARKED as EGRESS_PARKED
from airhost.render.egress import RUNNING as EGRESS_RUNNING
from airhost.render.stacks import Layer, StackTemplate
from airhost.targets.base import CommandResult, ComponentState, Echo, Facts
from airhost.targets.cloud import PARKED, CloudEnvironment
from airhost.targets.cloud_logs import show_logs
from airhost.targets.ec2 import units
from airhost.targets.ec2.units import NodeReport, node_reports
from airhost.targets.ec2.wheelhouse import Wheelhouse, architectures, ensure_wheelhouse

STABLE_TIMEOUT = 1800.0
PLUGIN = "session-manager-plugin"
PLUGIN_HINT = ("install AWS's Session Manager plugin: https://docs.aws.amazon.com/systems-manager/"
               "latest/userguide/session-manager-working-with-install-plugin.html")
ONE_OFF_TAG = "airhost:one-off"
MANAGED_TIMEOUT = 900.0  # a fresh node: boot, packages, wheelhouse install, SSM agent online


def _pairs(value: str) -> dict[str, str]:
    items = (item.split("=", 1) for item in value.split(",") if "=" in item)
    return {key.strip(): name.strip() for key, name in items}


class Ec2Deployment(CloudEnvironment):
    """One EC2 environment in its account and region."""

    layers: tuple[Layer, ...] = ("network", "data", "access", "compute")
    compute: Layer = "compute"

    def __init__(self, env: Environment, *, project_root: Path | None = None,
                 session: AwsSession | None = None, clock: Clock | None = None) -> None:
        super().__init__(env, session=session, clock=clock)
        self.project_root = project_root  # where requirements.txt is: the wheelhouse's inputs
        self.commands = Commands(self.session)
        self.instances = Instances(self.session)
        self.wheelhouses: dict[str, Wheelhouse] = {}  # architecture → built by this deploy

    # -- facts ---------------------------------------------------------------------------------

    @cached_property
    def outputs_by_layer(self) -> dict[str, dict[str, str]]:
        stacks = self.require_deployed()
        return {layer: dict(stack.outputs) if stack else {} for layer, stack in stacks.items()}

    def refresh(self) -> None:
        self.__dict__.pop("outputs_by_layer", None)

    @property
    def group_names(self) -> dict[str, str]:
        """Group (the component name people use) → Auto Scaling group name."""
        return _pairs(self.outputs_by_layer["compute"].get("Groups", ""))

    def facts(self) -> Facts:
        data, compute = self.outputs_by_layer.get("data", {}), self.outputs_by_layer["compute"]
        return Facts(url=self.outputs_by_layer.get("access", {}).get("Url"),
                     admin_secret=data.get("AdminPasswordSecretArn"),
                     buckets={k: data[k] for k in ("LogsBucket", "DagsBucket") if data.get(k)},
                     database=data.get("DatabaseInstanceId"), image=compute.get("Wheelhouses", ""),
                     components=tuple(self.group_names))

    def upgrade_artifact(self, version: str) -> str:
        if self.env.ec2.wheelhouse:
            return f"the wheelhouse {self.env.ec2.wheelhouse} (ec2.wheelhouse: it must hold Airflow {version})"
        return (f"a wheelhouse of Airflow {version}'s lock for the nodes, built and uploaded to the "
                "DAG bucket")

    def release_facts(self) -> dict[str, Any]:
        return {"topology": self.env.ec2.topology, "instance_type": self.env.ec2.instance_type}

    # -- the wheelhouse ------------------------------------------------------------------------

    def stack_artifacts(self, stack: StackTemplate, values: dict[str, str],
                        progress: Progress) -> dict[str, str]:
        """The compute stack's wheelhouses: the user's (``ec2.wheelhouse``), or built from the
        release's lock and uploaded to the DAG bucket (once per deploy, and only when changed)."""
        if stack.layer != self.compute or self.env.ec2.wheelhouse:
            return values
        bucket = values.get("DagsBucket")
        if self.project_root is None or not bucket:
            missing = [wheelhouse_parameter(a) for a in architectures(self.env)
                       if not values.get(wheelhouse_parameter(a))]
            if missing:
                raise UsageError(
                    f"cannot deploy {self.env.name}: its nodes need a wheelhouse to install "
                    "Airflow from, and none is deployed or named",
                    hint=f"run 'airhost deploy {self.env.name}' from the project folder (it builds "
                         "one from the release's lock), or set ec2.wheelhouse")
            return values
        for architecture in architectures(self.env):
            if architecture not in self.wheelhouses:
                self.wheelhouses[architecture] = ensure_wheelhouse(
                    self.env, self.project_root, self.buckets, bucket, architecture, progress)
            values = {**values, wheelhouse_parameter(architecture):
                      self.wheelhouses[architecture].location}
        return values

    # -- components ----------------------------------------------------------------------------

    def group_states(self) -> dict[str, GroupState]:
        names = self.group_names
        found = self.groups.describe(list(names.values()))
        return {group: found[name] for group, name in names.items() if name in found}

    def components(self) -> list[ComponentState]:
        states = self.group_states()
        reports = self.unit_reports(states)
        return [_component(group, states.get(group), name, reports)
                for group, name in sorted(self.group_names.items())]

    def unit_reports(self, states: dict[str, GroupState],
                     groups: list[str] | None = None) -> dict[str, NodeReport | None]:
        """What each node in service of ``groups`` (default: every group) says of its units."""
        instances = [i.instance_id for group, state in sorted(states.items())
                     if groups is None or group in groups for i in state.in_service]
        return node_reports(self, instances) if instances else {}

    def read_logs(self, component: str | None, *, since: str, follow: bool, pattern: str | None,
                  lines: int, echo: Echo) -> int:
        known = sorted({c for part in self.outputs_by_layer["compute"].get("GroupComponents", "").split(";")
                        for c in part.partition("=")[2].split(",") if c} | {"utils"})
        if component is not None and component not in known:
            raise UsageError(f"no component '{component}' in environment {self.env.name}",
                             hint="its components: " + ", ".join(known))
        group = self.outputs_by_layer["compute"]["LogGroupName"]
        return show_logs(self, group, f"{component}/" if component else None,
                         since=since, follow=follow, pattern=pattern, echo=echo)

    # -- one-off commands ----------------------------------------------------------------------

    def command_node(self) -> str | None:
        """An in-service node of the group that runs one-off commands, if one is."""
        utils = self.outputs_by_layer["compute"]["UtilsGroup"]
        state = self.groups.describe([utils]).get(utils)
        ready = state.in_service if state else []
        return ready[0].instance_id if ready else None

    def one_off_node(self, progress: Progress) -> str:
        """A node of its own for a command while every group is at 0 (the first migration): the
        utils group's launch template, tagged so that it starts no component."""
        compute = self.outputs_by_layer["compute"]
        subnet = compute["SubnetIds"].split(",")[0]
        instance = self.instances.run_from_template(
            compute["UtilsLaunchTemplate"], subnet,
            {ONE_OFF_TAG: "true", "Name": f"{self.env.project}-{self.env.name}-one-off"})
        progress.detail(f"no node in service: started one-off node {instance}")
        self.instances.wait_managed(instance, timeout=MANAGED_TIMEOUT)
        return instance

    def run(self, command: list[str], progress: Progress, *, timeout: float,
            purpose: str = "run") -> CommandResult:
        instance = self.command_node()
        one_off = None if instance else self.one_off_node(progress)
        try:
            return self._run_on(one_off or instance, command, progress, timeout=timeout,
                                purpose=purpose, wait_bootstrap=one_off is not None)
        finally:
            if one_off:
                progress.detail(f"terminating one-off node {one_off}")
                self.instances.terminate(one_off)

    def _run_on(self, instance: str, command: list[str], progress: Progress, *, timeout: float,
                purpose: str, wait_bootstrap: bool) -> CommandResult:
        script = f"{NODE_SCRIPT} run -- {shlex.join(command)}"
        if wait_bootstrap:  # a fresh node: `start` waits for its bootstrap (the install) to end
            script = f"systemctl start airhost-node.service && {script}"
        command_id = self.commands.send(instance, [script], comment=f"airhost {purpose}",
                                        timeout=int(timeout))
        progress.detail(f"command {command_id} on {instance}: {shlex.join(command)}")
        deadline = self.clock.monotonic() + timeout
        try:
            while True:
                invocation = self.commands.invocation(command_id, instance)
                if invocation.done:
                    break
                if self.clock.monotonic() > deadline:
                    self.commands.cancel(command_id)
                    raise TaskTimeout(f"command {command_id} ran longer than {timeout:.0f}s and "
                                      "was cancelled", hint="pass a longer --timeout")
                self.clock.sleep(self.clock.poll_seconds)
        except KeyboardInterrupt:
            self.commands.cancel(command_id)
            raise Aborted(f"interrupted: command {command_id} was cancelled") from None
        for line in (invocation.output + invocation.errors).splitlines():
            progress.log_line(line)
        if invocation.exit_code is None:
            raise TaskFailed(f"command {command_id} ended {invocation.status} without an exit code",
                             hint=f"see Run Command's history for {command_id} on {instance}")
        return CommandResult(command_id, invocation.exit_code, f"ssm:{command_id}/{instance}",
                             None if invocation.status == "Success" else invocation.status)

    def shell(self, component: str | None) -> list[str]:
        """Session Manager into a node of the component's group (the scheduler's by default)."""
        plugin = shutil.which(PLUGIN)
        if plugin is None:
            raise UsageError(f"cannot open a shell in {self.env.name}: the Session Manager plugin "
                             f"({PLUGIN}) is not installed here", hint=PLUGIN_HINT)
        names = self.group_names
        components = {c: group for part in self.outputs_by_layer["compute"].get(
            "GroupComponents", "").split(";") if "=" in part
            for group, _, listed in [part.partition("=")] for c in listed.split(",")}
        group = names.get(component or "") or names.get(components.get(component or "", ""))
        if component and group is None:
            raise UsageError(f"no component '{component}' in environment {self.env.name}",
                             hint="its components: " + ", ".join(sorted(set(names) | set(components))))
        group = group or self.outputs_by_layer["compute"]["UtilsGroup"]
        state = self.groups.describe([group]).get(group)
        if not state or not state.in_service:
            raise UsageError(f"no node of {group} is in service to open a shell on",
                             hint=f"run 'airhost scale {self.env.name} --resume' first")
        instance = state.in_service[0].instance_id
        session = self.commands.start_session(instance)
        region = self.session.region
        return [plugin, json.dumps(session), region, "StartSession", "",
                json.dumps({"Target": instance}), f"https://ssm.{region}.amazonaws.com"]

    # -- counts --------------------------------------------------------------------------------

    def configured_counts(self) -> dict[str, int]:
        stack = self.cloudformation.require(self.stack_name("compute"))
        counts = {}
        for group in self.group_names:
            value = stack.parameters.get("DesiredCount" + "".join(
                part.capitalize() for part in group.split("-")), "1")
            counts[group] = int(value) if value.isdigit() else 1
        return counts

    def wait_stable(self, progress: Progress, groups: list[str] | None = None) -> list[ComponentState]:
        names = groups if groups is not None else list(self.group_names)
        if names:
            progress.step(f"waiting for {len(names)} group(s) to have their instances in service")
        deadline = self.clock.monotonic() + STABLE_TIMEOUT
        while names:
            states = self.group_states()
            waiting = [g for g in names if g in states and
                       len(states[g].in_service) != states[g].desired]
            # in service is booted; Airflow runs once each node's bootstrap has started its
            # units, and a unit that keeps exiting ends the wait with its own lines
            booting = [] if waiting else self._booting_nodes(states, names)
            if not waiting and not booting:
                break
            if self.clock.monotonic() > deadline:
                if waiting:
                    raise WaitTimeout(f"groups {', '.join(waiting)} did not reach their capacity "
                                      f"in {STABLE_TIMEOUT:.0f}s",
                                      hint="see the groups' activity history in the EC2 console")
                raise WaitTimeout(
                    f"nodes {', '.join(f'{i} ({g})' for i, g in booting)} did not finish "
                    f"installing and starting Airflow in {STABLE_TIMEOUT:.0f}s",
                    hint=f"'airhost logs {self.env.name}' shows what they logged")
            self.clock.sleep(self.clock.poll_seconds)
        return self.components()

    def _booting_nodes(self, states: dict[str, GroupState], names: list[str]) -> list[tuple[str, str]]:
        """(instance, group) of the nodes still bootstrapping; ComponentFailing for one that
        failed or whose unit keeps exiting."""
        group_of = {i.instance_id: group for group, state in states.items() for i in state.in_service}
        booting = []
        for instance, report in sorted(self.unit_reports(states, names).items()):
            if report is None:
                continue  # a node that cannot say: as before airhost asked
            failing = units.failure(self, group_of[instance], report)
            if failing is not None:
                raise failing
            if report.bootstrapping:
                booting.append((instance, group_of[instance]))
        return booting

    def scale(self, counts: dict[str, int], progress: Progress, *,
              wait: bool = True) -> list[ComponentState]:
        names = self.group_names
        unknown = sorted(set(counts) - set(names))
        if unknown:
            raise UsageError(f"no component {', '.join(unknown)} in environment {self.env.name}",
                             hint="its components: " + ", ".join(sorted(names)))
        states = self.group_states()
        configured = self.configured_counts()
        for group, count in sorted(counts.items()):
            if count < 0:
                raise UsageError(f"{group}={count}: a count cannot be negative")
            state = states.get(group)
            maximum = max(count, state.maximum) if state else count
            # Back to the stack's own minimum when scaled up again (after a hold for a restore),
            # never above the count asked for.
            minimum = min(count, configured.get(group, count))
            progress.step(f"scaling {group} ({names[group]}) to {count}")
            self.groups.set_capacity(names[group], count, minimum=minimum, maximum=maximum)
        if wait and counts:
            return self.wait_stable(progress, list(counts))
        return self.components()

    def start(self, progress: Progress, stacks: list[StackTemplate]) -> None:
        """The stack's counts already set the groups' capacities."""

    def suspend_scaling(self, progress: Progress) -> None:
        """Every group's scheduled actions and alarm-driven policies suspended: a wake action sets
        the group's capacity back, and EC2 Auto Scaling would launch nodes to it."""
        self._set_scaling_suspended(True, progress)

    def resume_scaling(self, progress: Progress) -> None:
        self._set_scaling_suspended(False, progress)

    def suspended_scaling(self) -> list[str]:
        return [state.name for _, state in sorted(self.group_states().items())
                if state.suspended & set(SCALING_PROCESSES)]

    def _set_scaling_suspended(self, suspended: bool, progress: Progress) -> None:
        for group, state in sorted(self.group_states().items()):
            ours = state.suspended & set(SCALING_PROCESSES)
            if (len(ours) < len(SCALING_PROCESSES)) if suspended else ours:
                progress.detail(f"scaling of {group} {'suspended' if suspended else 'resumed'} "
                                "(schedule, autoscaling)")
                self.groups.set_suspended(state.name, suspended)

    def park(self, progress: Progress, *, wait: bool = True) -> list[ComponentState]:
        states = self.group_states()
        record = {group: [s.desired, s.minimum, s.maximum] for group, s in states.items()}
        if any(s.desired or s.maximum for s in states.values()):
            self.parameters.put_json(self.parameter_name(PARKED), {
                "groups": record, "parked_at": self.clock.utcnow().isoformat()},
                description="group capacities before 'airhost scale --to-zero'")
        for group, state in sorted(states.items()):
            progress.step(f"parking {group} at 0")
            self.groups.set_capacity(state.name, 0, minimum=0, maximum=0)
        states_now = self.wait_stable(progress) if wait else self.components()
        # once the nodes are gone: nothing needs a way out any more
        self.set_egress(EGRESS_PARKED, progress)
        return states_now

    def resume(self, progress: Progress, *, wait: bool = True) -> list[ComponentState]:
        record = (self.parameters.get_json(self.parameter_name(PARKED)) or {}).get("groups", {})
        names = self.group_names
        configured = self.configured_counts()
        # before any node boots: it installs from S3 and reads secrets through the way out
        self.set_egress(EGRESS_RUNNING, progress)
        for group, name in sorted(names.items()):
            desired, minimum, maximum = record.get(group) or [configured.get(group, 1)] * 3
            progress.step(f"resuming {group} at {desired} ({minimum}-{maximum})")
            self.groups.set_capacity(name, desired, minimum=minimum, maximum=max(maximum, desired))
        self.parameters.delete(self.parameter_name(PARKED))
        return self.wait_stable(progress) if wait else self.components()


def _component(group: str, state: GroupState | None, name: str,
               reports: dict[str, NodeReport | None]) -> ComponentState:
    if state is None:
        return ComponentState(group, "MISSING", where=name)
    running = len(state.in_service)
    pending = len(state.instances) - running
    known = [report for i in state.in_service if (report := reports.get(i.instance_id))]
    word = ("CRASH_LOOP" if any(r.crash_looping() or r.bootstrap_failed for r in known) else
            "RUNNING" if state.desired and running >= state.desired else
            "STOPPED" if not state.desired and not state.instances else "PENDING")
    restarts = sum(int(unit.get("restarts") or 0) for r in known for unit in r.components.values())
    return ComponentState(group, word, desired=state.desired, running=running, pending=pending,
                          restarts=restarts if known else None, where=name)
