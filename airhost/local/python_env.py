"""The local environment's own virtualenv: exactly the configured Airflow plus the project's needs.

uv creates and fills it (fast, with a shared download cache), with the release's constraints and
the project's requirements layered on top (``airhost.install.constraints``). A fingerprint of what
was asked for — Airflow version, Python, extras, the requirements file's content, the constraints —
is stored beside it, so an unchanged project reuses the virtualenv and a changed one is rebuilt.
What was resolved is written to ``requirements.lock``, headed by which constraints produced it, so
two installs of the same project can be compared.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from airhost.config.models import Environment
from airhost.errors import ConfigError, LocalError
from airhost.install.constraints import ReleaseConstraints, release_constraints
from airhost.local.paths import LocalPaths
from airhost.tools.uv import uv_binary, uv_environment

__all__ = ["InstallPlan", "airflow_extras", "ensure_virtualenv", "find_python", "install_plan",
           "is_current", "uv_binary"]

FINGERPRINT = ".airhost-fingerprint"


@dataclass(frozen=True)
class InstallPlan:
    """What the virtualenv must hold."""

    python: str  # interpreter to build it from
    python_note: str | None  # said to the user when the configured Python is not available
    requirement: str  # apache-airflow[extras]==version
    requirements_file: Path | None
    constraints: ReleaseConstraints
    fingerprint: str


def airflow_extras(env: Environment) -> list[str]:
    """Airflow extras the environment's settings need, plus the ones the user asked for."""
    extras = {"postgres"}
    if env.auth_manager == "fab":
        extras.add("fab")
    if env.airflow.executor == "celery":
        extras.update({"celery", "redis"})
    if env.dags.source == "git":
        extras.add("git")
    if not env.is_local or env.local.dag_bucket:
        extras.add("amazon")  # the S3 DAG bundle, remote logs and the SSM secrets backend
    extras.update(env.airflow.extras)
    return sorted(extras)


def _runs_as(candidate: str, version: str) -> bool:
    """True when ``candidate`` starts and is Python ``version`` (shims may exist but not run)."""
    try:
        result = subprocess.run([candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                                capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0 and result.stdout.strip() == version


def _candidates(version: str) -> list[str]:
    """``pythonX.Y`` on PATH, then pyenv's installed versions (its shim on PATH only runs the
    versions selected for the current folder; the interpreters themselves always run)."""
    found = [path for path in [shutil.which(f"python{version}")] if path]
    root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    installed = sorted(root.glob(f"versions/{version}.*/bin/python{version}"),
                       key=lambda path: [int(part) if part.isdigit() else 0
                                         for part in path.parents[1].name.split(".")])
    return found + [str(path) for path in reversed(installed)]


def find_python(version: str) -> tuple[str, str | None]:
    """An interpreter of the configured version; else this one, with a note saying so."""
    here = f"{sys.version_info.major}.{sys.version_info.minor}"
    if here == version:
        return sys.executable, None
    for candidate in _candidates(version):
        if _runs_as(candidate, version):
            return candidate, None
    return sys.executable, (
        f"Python {version} is not installed here; the local virtualenv uses Python {here} "
        f"(cloud images keep Python {version})"
    )


def constraints_file(env: Environment, project_root: Path) -> Path | None:
    """The project's own constraints file (``airflow.constraints``), resolved; None when unset."""
    return (project_root / env.airflow.constraints).resolve() if env.airflow.constraints else None


def install_plan(env: Environment, project_root: Path,
                 report: Callable[[str], None] | None = None) -> InstallPlan:
    python, note = find_python(env.airflow.python)
    extras = airflow_extras(env)
    requirement = f"apache-airflow[{','.join(extras)}]=={env.airflow.version}"
    requirements_file = None
    content = ""
    if env.airflow.requirements:
        requirements_file = (project_root / env.airflow.requirements).resolve()
        if not requirements_file.is_file():
            raise ConfigError(
                f"airflow.requirements names {env.airflow.requirements}, which does not exist",
                hint=f"create {requirements_file} or set airflow.requirements: null",
            )
        content = requirements_file.read_text(encoding="utf-8")
    python_version = subprocess.run(
        [python, "-c", "import sys; print(sys.version.split()[0])"],
        capture_output=True, text=True, check=False,
    ).stdout.strip()
    constraints = release_constraints(env.airflow.version, ".".join(python_version.split(".")[:2]),
                                      extras, project_file=constraints_file(env, project_root),
                                      report=report)
    fingerprint = hashlib.sha256(
        json.dumps([requirement, python_version, content, constraints.digest]).encode()
    ).hexdigest()
    return InstallPlan(python, note, requirement, requirements_file, constraints, fingerprint)


def is_current(paths: LocalPaths, plan: InstallPlan) -> bool:
    marker = paths.venv / FINGERPRINT
    return paths.airflow_bin.exists() and marker.exists() and marker.read_text() == plan.fingerprint


def ensure_virtualenv(paths: LocalPaths, plan: InstallPlan, log: Callable[[str], None]) -> bool:
    """Build the virtualenv unless it already matches; True when it was (re)built."""
    if is_current(paths, plan):
        return False
    uv = uv_binary()
    environment = uv_environment(VIRTUAL_ENV=str(paths.venv))
    paths.base.mkdir(parents=True, exist_ok=True)
    install_log = paths.base / "install.log"
    if paths.venv.exists():
        shutil.rmtree(paths.venv)
    commands = [[uv, "venv", "--quiet", "--python", plan.python, str(paths.venv)]]
    requirements = plan.requirements_file.read_text(encoding="utf-8") if plan.requirements_file else ""
    constraints = paths.base / "constraints.txt"  # kept: it says what the install was held to
    constraints.write_text(plan.constraints.layered(requirements))
    # Byte code compiled once at install: every component start (and every DAG check) then skips
    # compiling thousands of modules, also where byte code is never written back at run time.
    install = [uv, "pip", "install", "--compile-bytecode", "--python", str(paths.venv / "bin" / "python"),
               plan.requirement,
               "--constraint", str(constraints)]
    if plan.requirements_file:
        install += ["--requirement", str(plan.requirements_file)]
    commands.append(install)
    with install_log.open("w") as handle:
        for command in commands:
            log(" ".join(Path(part).name if part == uv else part for part in command))
            result = subprocess.run(command, stdout=handle, stderr=subprocess.STDOUT,
                                    env=environment, check=False)
            if result.returncode != 0:
                raise LocalError(
                    f"installing Airflow into the local virtualenv failed (exit {result.returncode})",
                    hint=f"see {install_log}; check requirements.txt pins against "
                         f"{plan.requirement} and {constraints} (a package the requirements name "
                         "is free of the constraints; name a library there to move it)",
                )
    freeze = subprocess.run([uv, "pip", "freeze", "--python", str(paths.venv / "bin" / "python")],
                            capture_output=True, text=True, env=environment, check=False)
    paths.lock_file.write_text(plan.constraints.header() + freeze.stdout)
    (paths.venv / FINGERPRINT).write_text(plan.fingerprint)
    return True
