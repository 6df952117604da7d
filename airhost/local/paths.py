"""Where the local target keeps an environment's state: everything under ``.airhost/<env>/``."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

STATE_DIR = ".airhost"
# A Unix socket path must fit in 108 bytes; deep project folders fall back to the temp folder.
_SOCKET_PATH_LIMIT = 100


@dataclass(frozen=True)
class LocalPaths:
    """The files of one local environment."""

    project_root: Path
    environment: str

    @property
    def base(self) -> Path:
        return self.project_root / STATE_DIR / self.environment

    @property
    def venv(self) -> Path:
        return self.base / "venv"

    @property
    def airflow_bin(self) -> Path:
        return self.venv / "bin" / "airflow"

    @property
    def lock_file(self) -> Path:
        """The versions resolved into the virtualenv, as a pip freeze."""
        return self.base / "requirements.lock"

    @property
    def airflow_home(self) -> Path:
        return self.base / "home"

    @property
    def bundle(self) -> Path:
        """The published DAG bundle Airflow reads; ``dags push`` fills it from the project's dags."""
        return self.base / "bundle"

    @property
    def postgres_data(self) -> Path:
        return self.base / "postgres" / "data"

    @property
    def postgres_socket_dir(self) -> Path:
        return self.base / "postgres" / "run"

    @property
    def logs(self) -> Path:
        return self.base / "logs"

    @property
    def task_logs(self) -> Path:
        return self.logs / "tasks"

    @property
    def secrets(self) -> Path:
        return self.base / "secrets"

    @property
    def env_files(self) -> Path:
        return self.base / "env"

    @property
    def supervisor_conf(self) -> Path:
        return self.base / "supervisord.conf"

    @property
    def supervisor_pid(self) -> Path:
        return self.base / "supervisord.pid"

    def _socket(self, name: str) -> Path:
        path = self.base / name
        if len(str(path)) <= _SOCKET_PATH_LIMIT:
            return path
        digest = hashlib.sha256(str(path).encode()).hexdigest()[:16]
        stem = "" if name == "supervisor.sock" else f"{Path(name).stem}-"
        return Path(tempfile.gettempdir()) / f"airhost-{stem}{digest}.sock"

    @property
    def supervisor_socket(self) -> Path:
        return self._socket("supervisor.sock")

    @property
    def dag_check_socket(self) -> Path:
        """Where the environment's DAG checker (Airflow imported once, a fork per check) listens."""
        return self._socket("dag-check.sock")

    @property
    def dag_check_home(self) -> Path:
        """The checker's throw-away AIRFLOW_HOME: nothing of the environment's own settings."""
        return self.base / "dag-check"

    @property
    def state_file(self) -> Path:
        return self.base / "state.json"

    def component_log(self, component: str) -> Path:
        return self.logs / f"{component}.log"

    def read_state(self) -> dict[str, Any]:
        try:
            return json.loads(self.state_file.read_text())
        except (OSError, ValueError):
            return {}

    def write_state(self, state: dict[str, Any]) -> None:
        self.base.mkdir(parents=True, exist_ok=True)
        temporary = self.state_file.with_suffix(".tmp")
        temporary.write_text(json.dumps(state, indent=2, sort_keys=True))
        os.replace(temporary, self.state_file)
