"""An embedded PostgreSQL for the local target, from the machine's own PostgreSQL binaries.

The cluster lives under ``.airhost/<env>/postgres/``, listens on 127.0.0.1 only, on a free port, and
requires a generated password (scram-sha-256). The server itself runs under the process manager
like every other component, so it is restarted if it dies and stopped with them. PostgreSQL refuses
to run as root: when airhost runs as root, the server runs as the system's ``postgres`` user.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import stat
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from airhost.errors import LocalError
from airhost.local.paths import LocalPaths
from airhost.local.secrets import POSTGRES_PASSWORD, LocalSecrets, write_private

DATABASE = "airflow"
SUPERUSER = "postgres"
INSTALL_HINT = (
    "install PostgreSQL (Debian/Ubuntu: apt-get install postgresql; macOS: brew install postgresql), "
    "or point at an existing database with database.url in airhost.yaml"
)


@dataclass(frozen=True)
class PostgresBinaries:
    folder: Path

    def __call__(self, name: str) -> str:
        return str(self.folder / name)


def find_binaries() -> PostgresBinaries:
    """The folder holding initdb and postgres: the Debian layout first, then PATH."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                        key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit() else 0,
                        reverse=True)
    for folder in candidates:
        if Path(folder, "initdb").exists() and Path(folder, "postgres").exists():
            return PostgresBinaries(Path(folder))
    found = shutil.which("initdb")
    if found:
        folder = Path(os.path.realpath(found)).parent
        if (folder / "postgres").exists():
            return PostgresBinaries(folder)
    raise LocalError("no PostgreSQL found: initdb and postgres are not on PATH or in /usr/lib/postgresql",
                     hint=INSTALL_HINT)


def server_user() -> str | None:
    """The user the server must run as: None for a normal user, ``postgres`` for root."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(SUPERUSER)
    except KeyError:
        raise LocalError(
            "cannot run PostgreSQL as root, and there is no 'postgres' user to run it as",
            hint="run airhost as a normal user, install Debian's postgresql package (it adds the "
                 "user), or set database.url to an existing database",
        ) from None
    return SUPERUSER


def _as_user(command: list[str], user: str | None) -> list[str]:
    return ["runuser", "-u", user, "--", *command] if user else command


def _check_reachable(folder: Path, user: str) -> None:
    """The server's user must be able to walk down to its data folder."""
    for parent in reversed(folder.parents):
        mode = parent.stat().st_mode
        if not mode & stat.S_IXOTH and parent.stat().st_uid != pwd.getpwnam(user).pw_uid:
            raise LocalError(
                f"PostgreSQL runs as '{user}' and cannot enter {parent} (no access for others)",
                hint="move the project under a folder others may enter (e.g. /srv or /tmp), "
                     "or set database.url to an existing database",
            )


class EmbeddedPostgres:
    """Create, describe and wait for the local cluster; the process manager runs it."""

    def __init__(self, paths: LocalPaths, secrets: LocalSecrets) -> None:
        self.paths = paths
        self.secrets = secrets
        self.binaries = find_binaries()
        self.user = server_user()

    @property
    def initialised(self) -> bool:
        return (self.paths.postgres_data / "PG_VERSION").exists()

    def initialise(self) -> None:
        """initdb with a generated superuser password; nothing if the cluster exists."""
        if self.initialised:
            return
        data = self.paths.postgres_data
        data.mkdir(parents=True, exist_ok=True)
        self.paths.postgres_socket_dir.mkdir(parents=True, exist_ok=True)
        password, _ = self.secrets.ensure(POSTGRES_PASSWORD)
        password_file = data.parent / "initdb-password"
        write_private(password_file, password)
        if self.user:
            _check_reachable(data, self.user)
            for path in (data.parent, data, self.paths.postgres_socket_dir, password_file):
                shutil.chown(path, self.user, self.user)
        os.chmod(data, 0o700)
        command = _as_user([self.binaries("initdb"), "-D", str(data), "-U", SUPERUSER,
                            "--auth=scram-sha-256", f"--pwfile={password_file}", "-E", "UTF8",
                            "--locale=C.UTF-8"], self.user)
        try:
            result = subprocess.run(command, capture_output=True, text=True, check=False)
        finally:
            password_file.unlink(missing_ok=True)
        if result.returncode != 0:
            shutil.rmtree(data, ignore_errors=True)
            raise LocalError(f"initdb failed: {result.stderr.strip() or result.stdout.strip()}",
                             hint=INSTALL_HINT)

    def server_command(self, port: int) -> list[str]:
        return [self.binaries("postgres"), "-D", str(self.paths.postgres_data), "-p", str(port),
                "-h", "127.0.0.1", "-k", str(self.paths.postgres_socket_dir)]

    def _client_env(self, port: int) -> dict[str, str]:
        password = self.secrets.read(POSTGRES_PASSWORD) or ""
        pgpass = self.secrets.path("pgpass")
        write_private(pgpass, f"127.0.0.1:{port}:*:{SUPERUSER}:{password}\n")
        return {**os.environ, "PGPASSFILE": str(pgpass), "PGCONNECT_TIMEOUT": "3"}

    def wait_ready(self, port: int, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = subprocess.run([self.binaries("pg_isready"), "-h", "127.0.0.1", "-p", str(port),
                                     "-U", SUPERUSER, "-q"], check=False)
            if result.returncode == 0:
                return
            time.sleep(0.2)
        raise LocalError(f"PostgreSQL did not accept connections on port {port} within {timeout:.0f} s",
                         hint=f"see {self.paths.component_log('postgres')}")

    def psql(self, port: int, sql: str, database: str = "postgres") -> str:
        result = subprocess.run([self.binaries("psql"), "-h", "127.0.0.1", "-p", str(port), "-U",
                                 SUPERUSER, "-d", database, "-v", "ON_ERROR_STOP=1", "-tAc", sql],
                                capture_output=True, text=True, env=self._client_env(port),
                                check=False)
        if result.returncode != 0:
            raise LocalError(f"PostgreSQL refused a command: {result.stderr.strip()}")
        return result.stdout.strip()

    def ensure_database(self, port: int) -> None:
        if self.psql(port, f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'") != "1":
            self.psql(port, f"CREATE DATABASE {DATABASE}")

    def url(self, port: int) -> str:
        password = self.secrets.read(POSTGRES_PASSWORD)
        return f"postgresql+psycopg2://{SUPERUSER}:{password}@127.0.0.1:{port}/{DATABASE}"

    def client_env(self, port: int) -> dict[str, str]:
        """Environment for pg_dump/pg_restore/psql against the cluster, password in a pgpass file."""
        return self._client_env(port)
