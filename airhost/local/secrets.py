"""Generated secrets of a local environment: files under ``.airhost/<env>/secrets/``, mode 0600.

Each secret is made once and kept, so restarts reuse it. Airflow reads them through its ``*_CMD``
settings (the command prints the file), so no secret sits in a plain environment variable or a
log line.
"""

from __future__ import annotations

import base64
import json
import os
import secrets as random
import shlex
from pathlib import Path

from airhost.render.airflow_env import ADMIN_USER, SECRET_SETTINGS

ADMIN_PASSWORD = "admin_password"
POSTGRES_PASSWORD = "postgres_password"


def _fernet_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


GENERATORS = {
    "fernet_key": _fernet_key,
    "jwt_secret": lambda: random.token_urlsafe(48),
    "api_secret_key": lambda: random.token_urlsafe(48),
    ADMIN_PASSWORD: lambda: random.token_urlsafe(12),
    POSTGRES_PASSWORD: lambda: random.token_hex(24),
}


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` readable by its owner only, from the first byte."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(text)
    os.chmod(path, 0o600)


class LocalSecrets:
    """The secrets folder of one local environment."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path(self, name: str) -> Path:
        return self.folder / name

    def ensure(self, name: str) -> tuple[str, bool]:
        """The secret's value, generating it first if needed; True when it was just created."""
        path = self.path(name)
        if path.exists():
            return path.read_text().strip(), False
        value = GENERATORS[name]()
        write_private(path, value)
        return value, True

    def set(self, name: str, value: str) -> None:
        write_private(self.path(name), value)

    def read(self, name: str) -> str | None:
        try:
            return self.path(name).read_text().strip()
        except OSError:
            return None

    def ensure_all(self) -> bool:
        """Make every generated secret; True when the admin password is new (show it once)."""
        for name in ("fernet_key", "jwt_secret", "api_secret_key", POSTGRES_PASSWORD):
            self.ensure(name)
        password, created = self.ensure(ADMIN_PASSWORD)
        write_private(self.path("simple_auth_passwords.json"), json.dumps({ADMIN_USER: password}))
        return created

    def command_variables(self, secret_names: dict[str, str]) -> dict[str, str]:
        """``AIRFLOW__X__Y_CMD`` variables that print each secret's file, for Airflow to read."""
        return {
            f"{variable}_CMD": f"cat {shlex.quote(str(self.path(name)))}"
            for variable, name in secret_names.items()
        }


assert set(SECRET_SETTINGS) - {"database_url"} <= set(GENERATORS)
