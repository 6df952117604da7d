"""`airhost import mwaa` input checks that need no AWS: clear errors, nothing written."""

from __future__ import annotations


def test_no_region_anywhere_is_a_clear_error(run_cli, tmp_path, monkeypatch):
    for variable in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    result = run_cli("import", "mwaa", "analytics-prod", str(tmp_path / "analytics"))
    assert result.exit_code == 2
    assert "no region for MWAA environment 'analytics-prod': none is configured — pass --region" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_missing_parent_folder_is_refused(run_cli, tmp_path):
    result = run_cli("import", "mwaa", "analytics-prod", str(tmp_path / "no" / "such" / "place"),
                     "--region", "eu-west-1")
    assert result.exit_code == 2
    assert "its parent folder" in result.stderr and "does not exist" in result.stderr
    assert list(tmp_path.iterdir()) == []
