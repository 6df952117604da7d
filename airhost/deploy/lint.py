"""cfn-lint in-process on every rendered template, before any AWS call: errors block a deploy."""

from __future__ import annotations

import json
from dataclasses import dataclass

from airhost.errors import ConfigError
from airhost.render.stacks import StackTemplate


@dataclass(frozen=True)
class Finding:
    stack: str
    rule: str
    level: str  # error | warning | informational
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.stack}: {self.rule} at {self.path}: {self.message}"


class TemplateInvalid(ConfigError):
    """A rendered template fails cfn-lint: a renderer bug or a config CloudFormation cannot take."""

    exit_code = 2


def lint_stacks(stacks: list[StackTemplate], region: str) -> list[Finding]:
    """Every cfn-lint finding of every stack; raises TemplateInvalid when any is an error."""
    from cfnlint.api import ManualArgs, lint  # slow to import: only when deploying

    findings: list[Finding] = []
    for stack in stacks:
        for match in lint(json.dumps(stack.template), config=ManualArgs(regions=[region])):
            path = "/".join(str(part) for part in getattr(match, "path", None) or []) or (
                f"line {match.linenumber}")
            findings.append(Finding(stack.name, match.rule.id, str(match.rule.severity).lower(),
                                    path, match.message))
    errors = [finding for finding in findings if finding.level == "error"]
    if errors:
        raise TemplateInvalid(
            f"{len(errors)} error(s) in the rendered templates: nothing was deployed",
            problems=[str(error) for error in errors],
            hint="this is a bug in airhost or a setting CloudFormation cannot take; "
                 "'airhost render' writes the templates for a closer look")
    return findings
