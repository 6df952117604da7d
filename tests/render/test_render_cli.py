"""`airhost render` and `airhost diagram` as a user runs them."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree

import yaml

from tests.golden.update import EXAMPLES

CONFIG = str(EXAMPLES / "ecs")


def test_render_writes_one_template_per_stack_and_a_manifest(run_cli, tmp_path):
    result = run_cli("render", "fg-split-alb", "--config", CONFIG, "--out", str(tmp_path), "-o", "json")
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "access.json", "airflow.json", "data.json", "network.json", "stacks.json"]
    manifest = json.loads((tmp_path / "stacks.json").read_text())
    assert [s["layer"] for s in manifest["stacks"]] == ["network", "data", "access", "airflow"]
    assert manifest["stacks"][3]["inputs"]["TargetGroupArn"] == "access.TargetGroupArn"
    summary = json.loads(result.stdout)
    assert summary["environment"] == "fg-split-alb" and len(summary["stacks"]) == 4


def test_render_is_byte_for_byte_repeatable(run_cli, tmp_path):
    for folder in ("one", "two"):
        assert run_cli("render", "mi-split", "--config", CONFIG, "--out", str(tmp_path / folder)).exit_code == 0
    for path in (tmp_path / "one").iterdir():
        assert path.read_bytes() == (tmp_path / "two" / path.name).read_bytes()


def test_yaml_templates_hold_the_same_data_as_json(run_cli, tmp_path):
    run_cli("render", "fg-solo", "--config", CONFIG, "--out", str(tmp_path / "j"))
    run_cli("render", "fg-solo", "--config", CONFIG, "--out", str(tmp_path / "y"), "--format", "yaml")
    for layer in ("network", "data", "airflow"):
        as_json = json.loads((tmp_path / "j" / f"{layer}.json").read_text())
        assert yaml.safe_load((tmp_path / "y" / f"{layer}.yaml").read_text()) == as_json


def test_a_local_environment_is_a_clear_error(run_cli, tmp_path):
    result = run_cli("render", "local", "--config", CONFIG, "--out", str(tmp_path))
    assert result.exit_code == 2
    assert "runs on this machine" in result.stderr and "Traceback" not in result.stderr
    assert not any(tmp_path.iterdir())


def test_render_lint_reports_no_findings(run_cli, tmp_path):
    result = run_cli("render", "mi-solo-ts", "--config", CONFIG, "--out", str(tmp_path), "--lint", "-o", "json")
    assert result.exit_code == 0, result.stderr
    assert all(stack["lint"] == [] for stack in json.loads(result.stdout)["stacks"])


def test_diagram_draws_every_stack_as_svg(run_cli, tmp_path):
    target = tmp_path / "d.svg"
    result = run_cli("diagram", "fg-split-alb", "--config", CONFIG, "--out", str(target))
    assert result.exit_code == 0, result.stderr
    root = ElementTree.fromstring(target.read_text())
    assert root.tag.endswith("svg")
    text = " ".join(t.text or "" for t in root.iter() if t.tag.endswith("text"))
    for layer in ("network", "data", "access", "airflow"):
        assert f"analytics-fg-split-alb-{layer}" in text
    assert "RDS PostgreSQL: Database" in text and "load balancer: LoadBalancer" in text
    assert "access → airflow" in text
