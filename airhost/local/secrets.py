"""Generated secrets of a local environment: files under ``.airhost/<env>/secrets/``, mode 0600.

Each secret is made once and kept, so restarts reuse it. Airflow reads them through its ``*_CMD``
settings (the command prints the file), so no secret sits in a plain environment variable or a
log line.

Tokens are the exception: the API server reads its signing secret once per task it starts (each
token it issues), and a ``*_CMD`` setting runs its command on every read, a process per task. The
tokens are signed instead with an Ed25519 key in a file, which Airflow reads itself
(``[api_auth] jwt_private_key_path``, its own advice for asymmetric keys): no command, no secret in
the environment either.
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
JWT_SIGNING_KEY = "jwt_private_key.pem"
# The rendered secret the key stands in for, and the setting that names the key's file instead.
JWT_SECRET = "jwt_secret"
JWT_KEY_PATH_SETTING = "AIRFLOW__API_AUTH__JWT_PRIVATE_KEY_PATH"


def _fernet_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


# PKCS #8 wrapping of an Ed25519 private key (RFC 8410): a fixed header, then the 32-byte seed.
_ED25519_PKCS8_HEADER = bytes.fromhex("302e020100300506032b657004220420")


def _ed25519_private_key() -> str:
    """A new Ed25519 private key, PEM-encoded: any 32 random bytes are a valid seed."""
    body = base64.b64encode(_ED25519_PKCS8_HEADER + os.urandom(32)).decode()
    return f"-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----\n"


GENERATORS = {
    "fernet_key": _fernet_key,
    JWT_SIGNING_KEY: _ed25519_private_key,
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
        for name in ("fernet_key", JWT_SIGNING_KEY, "api_secret_key", POSTGRES_PASSWORD):
            self.ensure(name)
        password, created = self.ensure(ADMIN_PASSWORD)
        write_private(self.path("simple_auth_passwords.json"), json.dumps({ADMIN_USER: password}))
        return created

    def airflow_variables(self, secret_names: dict[str, str]) -> dict[str, str]:
        """How Airflow reads each secret (variable → secret name): ``AIRFLOW__X__Y_CMD`` printing its
        file, or, for the token secret, the path of the signing key's file."""
        variables = {}
        for variable, name in secret_names.items():
            if name == JWT_SECRET:
                variables[JWT_KEY_PATH_SETTING] = str(self.path(JWT_SIGNING_KEY))
            else:
                variables[f"{variable}_CMD"] = f"cat {shlex.quote(str(self.path(name)))}"
        return variables


assert set(SECRET_SETTINGS) - {"database_url", JWT_SECRET} <= set(GENERATORS)
