"""Every EKS template passes cfn-lint with no error; checkov passes the templates and the rendered
manifests, with skips only in tests/lint/checkov.yaml, each with its reason."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
import yaml

from airhost.render.lint import lint_template
from tests.lint.test_checkov import SETTINGS, checkov_binary

pytestmark = pytest.mark.lint


def test_every_eks_template_has_no_cfn_lint_error(stacks, environments):
    problems = []
    for name, rendered in stacks.items():
        env, _ = environments[name]
        for stack in rendered:
            problems += [f"{name} {stack.layer}: {f}" for f in lint_template(stack.template, env.region)]
    assert not problems, "\n".join(problems)


def _checkov(folder, framework):
    environment = {**os.environ, "BC_SKIP_MAPPING": "TRUE", "CKV_SKIP_PACKAGE_UPDATE_CHECK": "TRUE"}
    process = subprocess.run(
        [str(checkov_binary()), "-d", str(folder), "--config-file", str(SETTINGS),
         "--framework", framework, "-o", "json"],
        capture_output=True, text=True, env=environment, timeout=600)
    try:
        report = json.loads(process.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"checkov gave no report (exit {process.returncode}): {process.stderr[-2000:]}")
    return report if isinstance(report, dict) else next(r for r in report if r["check_type"] == framework)


def _failed(report):
    return [(item["file_path"], item["check_id"], item["resource"])
            for item in report["results"]["failed_checks"]]


def test_checkov_passes_every_eks_template(stacks, tmp_path):
    for name, rendered in stacks.items():
        for stack in rendered:
            (tmp_path / f"{name}-{stack.layer}.json").write_text(json.dumps(stack.template),
                                                                encoding="utf-8")
    report = _checkov(tmp_path, "cloudformation")
    assert not _failed(report), "\n".join(map(str, _failed(report)))
    assert report["summary"]["parsing_errors"] == 0
    assert report["summary"]["passed"] > 50


def test_checkov_passes_every_rendered_manifest(manifests, tmp_path):
    for name, objects in manifests.items():
        (tmp_path / f"{name}.yaml").write_text(yaml.safe_dump_all(objects), encoding="utf-8")
    report = _checkov(tmp_path, "kubernetes")
    assert not _failed(report), "\n".join(map(str, _failed(report)))
    assert report["summary"]["parsing_errors"] == 0
    assert report["summary"]["passed"] > 50
