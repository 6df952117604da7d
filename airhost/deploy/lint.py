"""The deploy's lint gate: every rendered template through cfn-lint before any AWS call.

The findings come from ``airhost.render.lint`` (one linting policy for render and deploy); here an
error blocks the deploy and warnings are returned to be shown.
"""

from __future__ import annotations

import json
from functools import lru_cache

from airhost.errors import ConfigError
from airhost.render.lint import Finding, errors, lint_template
from airhost.render.stacks import StackTemplate


class TemplateInvalid(ConfigError):
    """A rendered template fails cfn-lint: a renderer bug or a config CloudFormation cannot take."""

    exit_code = 2


def lint_stacks(stacks: list[StackTemplate], region: str) -> list[tuple[str, Finding]]:
    """(stack, finding) for every finding; raises TemplateInvalid when any is an error."""
    findings = [(stack.name, finding) for stack in stacks
                for finding in _lint(json.dumps(stack.template, sort_keys=True), region)]
    blocking = [(name, finding) for name, finding in findings if finding in errors([finding])]
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
