"""Airflow's own Airflow 2 → 3 migration rules (ruff's AIR3 rules) over imported DAGs and plugins.

ruff runs as a separate process of the ruff installed beside airhost, isolated from any ruff
configuration in the imported code, so its findings depend only on the rules: AIR301 (removed in
Airflow 3), AIR302 (moved into a provider), AIR303 (changed signature), AIR311 and AIR312 (still
working, expected to go), and, under ``--preview``, AIR304 and AIR321.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from airhost.errors import AirhostError

RULES = "AIR3"


class RuffFailed(AirhostError):
    """ruff could not check the imported code."""


@dataclass(frozen=True)
class Finding:
    path: str  # relative to the project folder
    line: int
    column: int
    code: str
    message: str
    fixable: bool

    def to_json(self) -> dict[str, object]:
        return {"path": self.path, "line": self.line, "column": self.column, "code": self.code,
                "message": self.message, "fixable": self.fixable}


def check_airflow3(root: Path, folders: list[str]) -> list[Finding]:
    """ruff's AIR3 findings in ``folders`` of ``root``, in file and line order."""
    present = [folder for folder in folders if (root / folder).is_dir()]
    if not present:
        return []
    command = [sys.executable, "-m", "ruff", "check", "--isolated", "--no-cache", "--preview",
               "--select", RULES, "--output-format", "json", "--exit-zero", *present]
    try:
        done = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=300, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise RuffFailed(f"could not run ruff over the imported code: {error}",
                         hint="install airhost with its dependencies (pip install -e .), which include ruff")
    if done.returncode != 0:
        detail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuffFailed(f"ruff could not check the imported code: {detail}",
                         hint="pip install -U ruff, then import again")
    findings = []
    for item in json.loads(done.stdout or "[]"):
        location = item.get("location") or {}
        path = Path(item["filename"])
        relative = path.resolve().relative_to(root.resolve()) if path.is_absolute() else path
        findings.append(Finding(relative.as_posix(), location.get("row", 0), location.get("column", 0),
                                item.get("code") or "", item.get("message", ""), bool(item.get("fix"))))
    return sorted(findings, key=lambda f: (f.path, f.line, f.column, f.code))
