"""Shared test helpers: running the CLI in-process, writing small projects, the offline chart."""

from __future__ import annotations

import shutil
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from airhost.cli import main
from tests.ec2.wheels import package_index  # noqa: F401  (a package index in a folder, for pip)

REPO = Path(__file__).resolve().parents[1]
# The official Airflow chart's unmodified offline copy (../shared/charts/README.md).
CHART = REPO.parent / "shared" / "charts" / "airflow-1.21.0"


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def run_cli(capsys):
    """Run ``airhost ARGS`` in-process; returns exit code, stdout and stderr."""

    def run(*args: str) -> CliResult:
        code = main(list(args))
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


@pytest.fixture
def write_project(tmp_path):
    """Write airhost.yaml (dedented) into a fresh folder with dags/ and requirements.txt."""

    def write(text: str, folder: Path | None = None) -> Path:
        root = folder or tmp_path / "project"
        root.mkdir(parents=True, exist_ok=True)
        (root / "dags").mkdir(exist_ok=True)
        (root / "requirements.txt").write_text("")
        (root / "airhost.yaml").write_text(textwrap.dedent(text))
        return root

    return write


@pytest.fixture(scope="session")
def chart(tmp_path_factory):
    """The offline chart in a scratch folder, with a stub ``charts/postgresql``: Helm refuses a
    chart whose declared dependency is missing (the copy has no bundled PostgreSQL subchart,
    which airhost never enables)."""
    if not (CHART / "Chart.yaml").exists():
        pytest.fail(f"the offline chart copy is missing at {CHART}", pytrace=False)
    scratch = tmp_path_factory.mktemp("chart") / "airflow"
    shutil.copytree(CHART, scratch)
    stub = scratch / "charts" / "postgresql"
    stub.mkdir(parents=True, exist_ok=True)
    (stub / "Chart.yaml").write_text("apiVersion: v2\nname: postgresql\nversion: 13.2.24\n",
                                     encoding="utf-8")
    return scratch
