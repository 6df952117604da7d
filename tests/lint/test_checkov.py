"""checkov accepts every rendered template, with skips listed and justified in checkov.yaml only,
and airhost's own check refuses a database port open to the internet."""

from __future__ import annotations

import copy
import json
import os
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.lint

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
SETTINGS = HERE / "checkov.yaml"
CHECKS = HERE / "checks"


def checkov_binary() -> Path:
    path = Path(os.environ.get("AIRHOST_CHECKOV") or REPO / ".venv-checkov" / "bin" / "checkov")
    if not path.exists():
        pytest.fail(f"checkov not found at {path}: run 'make test' (it creates .venv-checkov) "
                    "or set AIRHOST_CHECKOV", pytrace=False)
    return path


def _planted(templates) -> dict:
    """A network template with PostgreSQL opened to the world, twice: by port and by protocol."""
    _, template = templates["ecs-fg-solo-network.json"]
    bad = copy.deepcopy(template)
    group = bad["Resources"]["DatabaseSecurityGroup"]["Properties"]
    group["SecurityGroupIngress"] = [{"CidrIp": "0.0.0.0/0", "IpProtocol": "tcp", "FromPort": 5432,
                                      "ToPort": 5432, "Description": "oops"}]
    bad["Resources"]["WideOpen"] = {"Type": "AWS::EC2::SecurityGroupIngress", "Properties": {
        "GroupId": {"Ref": "DatabaseSecurityGroup"}, "CidrIp": "0.0.0.0/0", "IpProtocol": "-1",
        "Description": "oops"}}
    return bad


@pytest.fixture(scope="module")
def checkov_report(rendered):
    folder, templates = rendered
    (folder / "planted-open-database.json").write_text(json.dumps(_planted(templates)), encoding="utf-8")
    environment = {**os.environ, "BC_SKIP_MAPPING": "TRUE", "CKV_SKIP_PACKAGE_UPDATE_CHECK": "TRUE"}
    process = subprocess.run(
        [str(checkov_binary()), "-d", str(folder), "--config-file", str(SETTINGS),
         "--external-checks-dir", str(CHECKS), "-o", "json"],
        capture_output=True, text=True, env=environment, timeout=300)
    try:
        report = json.loads(process.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"checkov gave no report (exit {process.returncode}): {process.stderr[-2000:]}")
    return report if isinstance(report, dict) else next(r for r in report if r["check_type"] == "cloudformation")


def _failures(report):
    return [(Path(item["file_path"]).name, item["check_id"], item["resource"])
            for item in report["results"]["failed_checks"]]


def test_every_rendered_template_passes_checkov(checkov_report, rendered):
    _, templates = rendered
    real = [failure for failure in _failures(checkov_report) if failure[0] != "planted-open-database.json"]
    assert not real, "\n".join(map(str, real))
    assert checkov_report["summary"]["parsing_errors"] == 0
    assert checkov_report["summary"]["resource_count"] > 20 * len(templates) // 2


def test_the_database_port_check_catches_an_open_database(checkov_report):
    planted = {(check, resource) for name, check, resource in _failures(checkov_report)
               if name == "planted-open-database.json"}
    assert ("CKV_AIRHOST_5432", "AWS::EC2::SecurityGroup.DatabaseSecurityGroup") in planted
    assert ("CKV_AIRHOST_5432", "AWS::EC2::SecurityGroupIngress.WideOpen") in planted


def test_every_skipped_check_is_justified_in_the_one_settings_file():
    lines = SETTINGS.read_text(encoding="utf-8").splitlines()
    skips = [index for index, line in enumerate(lines) if line.strip().startswith("- CKV")]
    assert skips, "no skips listed"
    for index in skips:
        assert lines[index - 1].strip().startswith("#"), f"{lines[index].strip()} has no reason above it"
    inline_skips = list(REPO.glob("airhost/**/*.py"))
    assert not [p for p in inline_skips if "checkov:skip" in p.read_text(encoding="utf-8")]
