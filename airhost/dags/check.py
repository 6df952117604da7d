"""Importing DAGs with the environment's own Airflow, before anything is shipped.

The check runs inside the environment's virtualenv (the configured Airflow version and the project's
requirements), parses the files the way Airflow's DAG processor does, and reports each DAG with its
file, and each import error with its file and line. A running local environment keeps a checker with
Airflow already imported (``ask_checker``); otherwise a one-off process pays Airflow's import.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from airhost.errors import LocalError

# Runs inside the Airflow virtualenv, by path: the one-shot check and the long-lived checker.
CHECK_SCRIPT = Path(__file__).resolve().parent / "in_airflow" / "dag_check.py"


def check_environment(home: str, folder: Path) -> dict[str, str]:
    """The checker's whole environment: a throw-away home and SQLite, nothing of the caller's."""
    return {
        "PATH": "/usr/bin:/bin",
        "AIRFLOW_HOME": home,
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home}/check.db",
        "AIRFLOW__CORE__DAGS_FOLDER": str(folder),
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "ERROR",
    }


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


def _result(data: dict) -> CheckResult:
    problems = tuple(describe_error(file, text) for file, text in sorted(data["errors"].items()))
    return CheckResult(dags=dict(sorted(data["dags"].items())), problems=problems)


def ask_checker(socket_path: Path, fingerprint: str, folder: Path, files: list[str] | None,
                timeout: float = 300) -> CheckResult | None:
    """The running checker's answer; None when there is none to ask, or it is not this virtualenv's."""
    request = json.dumps({"folder": str(folder), "files": files, "timeout": int(timeout)}) + "\n"
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.settimeout(timeout + 30)  # it may still be importing Airflow: worth waiting
            connection.connect(str(socket_path))
            connection.sendall(request.encode())
            with connection.makefile("rb") as reader:
                line = reader.readline()
    except OSError:
        return None
    try:
        data = json.loads(line)
    except ValueError:
        return None
    if data.get("fingerprint") != fingerprint or "failure" in data:
        return None
    return _result(data)


def check_dags(python: Path, folder: Path, timeout: float = 300,
               files: list[str] | None = None) -> CheckResult:
    """Parse every DAG file in ``folder`` (or only ``files``) with the Airflow installed for ``python``."""
    with tempfile.TemporaryDirectory(prefix="airhost-check-") as home:
        try:
            result = subprocess.run([str(python), str(CHECK_SCRIPT), "once", str(folder), *(files or [])],
                                    capture_output=True, text=True, env=check_environment(home, folder),
                                    timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            raise LocalError(f"checking the DAGs took longer than {timeout:.0f} s",
                             hint="look for DAG files that do slow work at import time") from None
    marker = next((line for line in result.stdout.splitlines() if line.startswith("AIRHOST-CHECK ")), None)
    if marker is None:
        tail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-10:])
        raise LocalError(f"the DAG check could not run with this Airflow:\n{tail}")
    return _result(json.loads(marker.removeprefix("AIRHOST-CHECK ")))
