"""The EKS commands that need no cluster: render (templates, values, manifests) and diagram; the
ones not built for EKS say so plainly."""

from __future__ import annotations

import yaml

from tests.eks.conftest import EXAMPLE


def test_render_writes_templates_values_and_manifests(run_cli, tmp_path, chart, monkeypatch):
    monkeypatch.setenv("AIRHOST_HELM_CHART", str(chart))
    result = run_cli("render", "ha", "--config", str(EXAMPLE), "--out", str(tmp_path))
    assert result.exit_code == 0, result.stderr
    written = {path.name for path in tmp_path.iterdir()}
    assert {"network.json", "data.json", "compute.json", "stacks.json", "values.yaml",
            "manifests.yaml"} <= written
    values = yaml.safe_load((tmp_path / "values.yaml").read_text())
    assert values["executor"] == "CeleryExecutor"
    kinds = {obj["kind"] for obj in yaml.safe_load_all((tmp_path / "manifests.yaml").read_text())}
    assert {"Deployment", "Ingress", "IngressClass"} <= kinds


def test_render_without_a_chart_writes_the_values_only(run_cli, tmp_path, monkeypatch):
    monkeypatch.delenv("AIRHOST_HELM_CHART", raising=False)
    result = run_cli("render", "auto", "--config", str(EXAMPLE), "--out", str(tmp_path))
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "values.yaml").exists() and not (tmp_path / "manifests.yaml").exists()


def test_a_missing_chart_folder_says_how_to_fix_it(run_cli, tmp_path, monkeypatch):
    monkeypatch.setenv("AIRHOST_HELM_CHART", str(tmp_path / "nowhere"))
    result = run_cli("render", "auto", "--config", str(EXAMPLE), "--out", str(tmp_path / "out"))
    assert result.exit_code != 0
    assert "AIRHOST_HELM_CHART" in result.stderr and "Traceback" not in result.stderr


def test_diagram_draws_the_cluster(run_cli, tmp_path):
    out = tmp_path / "d.svg"
    result = run_cli("diagram", "nodes", "--config", str(EXAMPLE), "--out", str(out))
    assert result.exit_code == 0, result.stderr
    svg = out.read_text()
    assert "EKS cluster" in svg and "managed node group" in svg and "Pod Identity" in svg


def test_what_eks_does_not_do_yet_says_so_before_touching_aws(run_cli):
    config = ["--config", str(EXAMPLE)]
    for command, words in ((["image", "build", "auto", *config], "not built yet"),
                           (["image", "push", "auto", *config], "deploy with --image"),
                           (["shell", "auto", *config], "kubeconfig")):
        result = run_cli(*command)
        assert result.exit_code == 2, (command, result.stderr)
        assert words in result.stderr and "Traceback" not in result.stderr
