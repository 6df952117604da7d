"""cfn-lint, in-process: every rendered template checked against AWS's own resource schemas.

Errors block a deploy. Warnings are reported, except the few in ``ACCEPTED_WARNINGS``, each accepted
here and only here, with the reason. No network access: cfn-lint ships the schemas.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from airhost.errors import ConfigError
from airhost.render.stacks import StackTemplate

Level = Literal["error", "warning", "info"]

# Rule id → why airhost's templates trigger it on purpose.
ACCEPTED_WARNINGS = {
    "W3691": (
        "RDS EngineVersion is given as a major version (e.g. 17) on purpose: RDS picks its current "
        "minor version at creation and AutoMinorVersionUpgrade keeps it current. Pinning a minor "
        "version would make the next stack update try to downgrade after an automatic upgrade. "
        "cfn-lint's data lists bare major versions as deprecated."
    ),
}


@dataclass(frozen=True)
class Finding:
    """One cfn-lint match on a template."""

    rule: str
    level: Level
    message: str
    path: str

    def __str__(self) -> str:
        return f"{self.rule} {self.path}: {self.message}"


def _level(rule_id: str) -> Level:
    return {"E": "error", "W": "warning"}.get(rule_id[:1], "info")  # type: ignore[return-value]


def lint_template(template: dict[str, Any], region: str, *, accepted: bool = False) -> list[Finding]:
    """cfn-lint findings for ``template`` in ``region``; accepted warnings only if ``accepted``."""
    from cfnlint.api import ManualArgs, lint  # imported late: half a second, only when linting

    matches = lint(json.dumps(template), config=ManualArgs(regions=[region]))
    findings = []
    for match in matches:
        rule = match.rule.id
        if rule in ACCEPTED_WARNINGS and not accepted:
            continue
        path = "/".join(str(part) for part in getattr(match, "path", []) or [])
        findings.append(Finding(rule=rule, level=_level(rule), message=match.message, path=path))
    return sorted(findings, key=lambda f: (f.level, f.rule, f.path))


def errors(findings: list[Finding]) -> list[Finding]:
    return [finding for finding in findings if finding.level == "error"]


class TemplateInvalid(ConfigError):
    """A rendered template fails cfn-lint: a renderer bug or a config CloudFormation cannot take.

    The same error, and exit code, whether ``render --lint``, ``plan`` or ``deploy`` found it.
    """

    exit_code = 2


def lint_stacks(stacks: list[StackTemplate], region: str) -> list[tuple[str, Finding]]:
    """(stack, finding) for every finding; raises TemplateInvalid when any is an error."""
    findings = [(stack.name, finding) for stack in stacks
                for finding in _lint(json.dumps(stack.template, sort_keys=True), region)]
    blocking = [(name, finding) for name, finding in findings if finding.level == "error"]
    if blocking:
        raise TemplateInvalid(
            f"{len(blocking)} error(s) in the rendered templates: nothing was deployed",
            problems=[f"{name}: {finding}" for name, finding in blocking],
            hint="this is a bug in airhost or a setting CloudFormation cannot take; "
                 "'airhost render' writes the templates for a closer look")
    return findings


@lru_cache(maxsize=64)
def _lint(template: str, region: str) -> tuple[Finding, ...]:
    # The same template lints the same: a deploy re-run in one process (a benchmark, a test
    # session) pays for cfn-lint once per template.
    return tuple(lint_template(json.loads(template), region))
