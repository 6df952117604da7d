"""Importing DAGs with the environment's own Airflow, before anything is shipped.

The check runs inside the environment's virtualenv (the configured Airflow version and the project's
requirements), parses every file the way Airflow's DAG processor does, and reports each DAG with its
file, and each import error with its file and line.
"""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from airhost.errors import LocalError

# Runs inside the Airflow virtualenv; prints one JSON document.
CHECK_SCRIPT = r"""
import json, os, sys
from pathlib import Path
folder = sys.argv[1]
try:  # Airflow 3.2+: the bundle-aware bag the DAG processor uses
    from airflow.dag_processing.dagbag import BundleDagBag
    bag = BundleDagBag(dag_folder=folder, bundle_path=Path(folder), safe_mode=True)
except ImportError:
    from airflow.models.dagbag import DagBag
    bag = DagBag(dag_folder=folder, include_examples=False, safe_mode=True)
def relative(path):
    return os.path.relpath(path, folder) if os.path.isabs(path) else path
dags = {dag_id: relative(dag.fileloc) for dag_id, dag in bag.dags.items()}
errors = {relative(path): text for path, text in bag.import_errors.items()}
print("AIRHOST-CHECK " + json.dumps({"dags": dags, "errors": errors}))
"""


@dataclass(frozen=True)
class ImportProblem:
    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class CheckResult:
    dags: dict[str, str]  # dag id → file, relative to the DAG folder
    problems: tuple[ImportProblem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def describe_error(file: str, text: str) -> ImportProblem:
    """The line in ``file`` where the traceback points last, and the error's last line."""
    name = re.escape(Path(file).name)
    lines = [int(m) for m in re.findall(rf'File "[^"]*{name}", line (\d+)', text)]
    if not lines:
        lines = [int(m) for m in re.findall(r"\((?:[^()]*), line (\d+)\)", text)]
    message = next((line.strip() for line in reversed(text.strip().splitlines()) if line.strip()), text)
    return ImportProblem(file, lines[-1] if lines else None, message)


def check_dags(python: Path, folder: Path, timeout: float = 300) -> CheckResult:
    """Parse every DAG file in ``folder`` with the Airflow installed for ``python``."""
    with tempfile.TemporaryDirectory(prefix="airhost-check-") as home:
        env = {
            "PATH": "/usr/bin:/bin",
            "AIRFLOW_HOME": home,
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home}/check.db",
            "AIRFLOW__CORE__DAGS_FOLDER": str(folder),
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "ERROR",
        }
        try:
            result = subprocess.run([str(python), "-c", CHECK_SCRIPT, str(folder)], capture_output=True,
                                    text=True, env=env, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            raise LocalError(f"checking the DAGs took longer than {timeout:.0f} s",
                             hint="look for DAG files that do slow work at import time") from None
    marker = next((line for line in result.stdout.splitlines() if line.startswith("AIRHOST-CHECK ")), None)
    if marker is None:
        tail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-10:])
        raise LocalError(f"the DAG check could not run with this Airflow:\n{tail}")
    data = json.loads(marker.removeprefix("AIRHOST-CHECK "))
    problems = tuple(describe_error(file, text) for file, text in sorted(data["errors"].items()))
    return CheckResult(dags=dict(sorted(data["dags"].items())), problems=problems)
