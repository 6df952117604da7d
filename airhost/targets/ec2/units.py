"""What an EC2 environment's nodes say of their units, through SSM Run Command.

An instance in service says only that it booted: the node's bootstrap then installs Airflow and
starts the component units, and systemd restarts a unit that exits, for ever. ``airhost-node
units`` reports, as JSON, the bootstrap unit and each component unit (state, automatic restarts,
whether it keeps exiting, and then the last lines of its log). The deployment asks every node in
service: its wait ends when each bootstrap has finished and no unit keeps exiting, and ends at once
(``ComponentFailing``) when a bootstrap failed or a unit exited twice without staying up; ``status``
shows such a component ``CRASH_LOOP`` with its restarts.

A node that cannot answer (its SSM agent not registered yet, a node script from before this
report) is "unknown": it does not hold a wait back, as before airhost asked.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from airhost.aws.errors import AwsApiError
from airhost.errors import ComponentFailing
from airhost.render.ec2.node import NODE_SCRIPT

if TYPE_CHECKING:
    from airhost.targets.ec2.deployment import Ec2Deployment

REPORT_TIMEOUT = 60.0  # seconds a node has to answer


@dataclass(frozen=True)
class NodeReport:
    instance_id: str
    bootstrap: dict[str, Any]
    components: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def bootstrapping(self) -> bool:
        return self.bootstrap.get("active") in ("activating", "inactive") and \
            self.bootstrap.get("result") in ("", "success")

    @property
    def bootstrap_failed(self) -> bool:
        return self.bootstrap.get("result") not in ("", "success", None)

    def crash_looping(self) -> list[str]:
        return sorted(name for name, unit in self.components.items() if unit.get("crash_looping"))


def node_reports(aws: Ec2Deployment, instances: list[str]) -> dict[str, NodeReport | None]:
    """Each instance's report, or None when it could not be had in time."""
    sent: dict[str, str] = {}
    for instance in instances:
        try:
            sent[instance] = aws.commands.send(instance, [f"{NODE_SCRIPT} units"],
                                               comment="airhost status: units",
                                               timeout=int(REPORT_TIMEOUT))
        except AwsApiError:  # an instance SSM does not manage (yet): unknown
            continue
    reports: dict[str, NodeReport | None] = {instance: None for instance in instances}
    deadline = aws.clock.monotonic() + REPORT_TIMEOUT
    waiting = dict(sent)
    while waiting:
        for instance, command_id in list(waiting.items()):
            invocation = aws.commands.invocation(command_id, instance)
            if invocation.done:
                del waiting[instance]
                reports[instance] = _parse(instance, invocation.output)
        if waiting and aws.clock.monotonic() > deadline:
            break
        if waiting:
            aws.clock.sleep(aws.clock.poll_seconds)
    return reports


def _parse(instance: str, output: str) -> NodeReport | None:
    try:
        raw = json.loads(output)
        return NodeReport(instance, dict(raw["bootstrap"]), dict(raw.get("components") or {}))
    except (ValueError, KeyError, TypeError):
        return None


def failure(aws: Ec2Deployment, group: str, report: NodeReport) -> ComponentFailing | None:
    """The error for a node whose bootstrap failed or whose unit keeps exiting; else None."""
    env = aws.env.name
    if report.bootstrap_failed:
        lines = _indented(report.bootstrap.get("log") or [])
        return ComponentFailing(
            f"the bootstrap of node {report.instance_id} ({group}) failed "
            f"({report.bootstrap.get('result')}): Airflow was not installed or started there. "
            f"The last lines of its journal:\n{lines}\n",
            hint=f"fix what it names (the wheelhouse, the lock, a secret), then run 'airhost "
                 f"deploy {env}' again; 'airhost shell {env}' opens a session on a node")
    for component in report.crash_looping():
        unit = report.components[component]
        lines = _indented(unit.get("log") or [])
        return ComponentFailing(
            f"{component} exits at start on node {report.instance_id} ({group}): systemd "
            f"restarted it {unit.get('restarts')} times, its last run ended with exit status "
            f"{unit.get('exit_status')}. The last lines of its log:\n{lines}\n",
            hint=f"fix what the log names (airflow.config, a requirement), then run 'airhost "
                 f"deploy {env}' again; more: 'airhost logs {env} {component}'")
    return None


def _indented(lines: list[str]) -> str:
    return "\n".join(f"    {line}" for line in lines) or "    (it logged nothing)"
