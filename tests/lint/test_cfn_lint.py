"""Every template of every example is valid by AWS's resource schemas (cfn-lint, in-process)."""

from __future__ import annotations

import pytest

from airhost.render.lint import ACCEPTED_WARNINGS, lint_template

pytestmark = pytest.mark.lint


def test_every_template_has_no_error_and_no_unjustified_warning(rendered):
    _, templates = rendered
    problems = []
    for name, (region, template) in sorted(templates.items()):
        problems += [f"{name}: {finding}" for finding in lint_template(template, region)]
    assert not problems, "\n".join(problems)


def test_accepted_warnings_are_warnings_with_a_reason():
    for rule, reason in ACCEPTED_WARNINGS.items():
        assert rule.startswith("W"), f"{rule}: errors are never accepted"
        assert len(reason) > 40


def test_lint_catches_a_broken_template(rendered):
    _, templates = rendered
    region, template = templates["ecs-fg-solo-airflow.json"]
    broken = {**template, "Resources": {**template["Resources"]}}
    service = dict(broken["Resources"]["StandaloneService"])
    service["Properties"] = {**service["Properties"], "LaunchTyp": "FARGATE"}
    broken["Resources"]["StandaloneService"] = service
    assert any(f.level == "error" for f in lint_template(broken, region))
