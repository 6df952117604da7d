"""Backups of a local environment's metadata database with PostgreSQL's own pg_dump and pg_restore.

A backup is ``pg_dump -Fc`` of the Airflow database into ``.airhost/<env>/backups/<timestamp>[-label].dump``
(mode 0600: it holds connections and variables, encrypted with the environment's Fernet key, and
everything else in clear). After each backup the oldest beyond ``database.keep_backups`` are deleted.

A restore stops the Airflow components (PostgreSQL keeps running), takes a ``before-restore``
backup so the restore itself can be undone, recreates the database from the dump (the embedded
database is dropped and created again, so tables a later migration added go too; an external one,
``database.url``, gets ``pg_restore --clean --if-exists``), runs ``airflow db migrate`` (a dump from
an older release is brought to the installed one), starts the components and waits until healthy.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from airhost.errors import LocalError, UsageError
from airhost.local import components as parts
from airhost.local.environment import LocalEnvironment
from airhost.airflow_api import all_healthy, read_health
from airhost.local.postgres import DATABASE, SUPERUSER, EmbeddedPostgres, find_binaries

Report = Callable[[str], None]
SUFFIX = ".dump"
LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$")


class LocalBackups:
    """The backups of one local environment."""

    def __init__(self, local: LocalEnvironment) -> None:
        self.local = local
        self.folder = local.paths.base / "backups"
        self.binaries = find_binaries()

    def create(self, report: Report, *, label: str | None = None) -> dict[str, Any]:
        """pg_dump the database into a new private file; prune the oldest."""
        if label is not None and (not LABEL.match(label) or "--" in label):
            raise UsageError(f"'{label}' cannot be part of a backup name",
                             hint="use up to 40 lowercase letters, digits and single hyphens")
        command, environment = self._client("pg_dump")
        self.folder.mkdir(parents=True, exist_ok=True)
        os.chmod(self.folder, 0o700)
        stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
        path = self.folder / (stamp + (f"-{label}" if label else "") + SUFFIX)
        report(f"Dumping the metadata database into {path.relative_to(self.local.project.root)}")
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            result = subprocess.run([*command, "--format=custom", "--no-owner", "--no-acl"],
                                    stdout=handle, stderr=subprocess.PIPE, env=environment,
                                    check=False)
        if result.returncode != 0:
            path.unlink(missing_ok=True)
            raise LocalError(f"pg_dump failed: {result.stderr.decode(errors='replace').strip()}",
                             hint=f"is the database running? see 'airhost status {self.local.env.name}'")
        pruned = self.prune(report, keep_also=path.name)
        return {"environment": self.local.env.name, "backup": path.name[:-len(SUFFIX)],
                "path": str(path), "size_bytes": path.stat().st_size, "pruned": pruned}

    def list(self) -> list[dict[str, Any]]:
        """The backups, newest first."""
        if not self.folder.is_dir():
            return []
        now = time.time()
        rows = []
        for path in sorted(self.folder.glob(f"*{SUFFIX}"), reverse=True):
            stat = path.stat()
            rows.append({"backup": path.name[:-len(SUFFIX)], "path": str(path),
                         "created": datetime.fromtimestamp(stat.st_mtime, timezone.utc)
                         .isoformat(timespec="seconds"),
                         "age_hours": round((now - stat.st_mtime) / 3600, 1),
                         "size_bytes": stat.st_size})
        return rows

    def prune(self, report: Report, *, keep_also: str = "") -> list[str]:
        keep = self.local.env.database.keep_backups
        deleted = []
        for row in self.list()[keep:]:
            path = Path(row["path"])
            if path.name == keep_also:
                continue
            report(f"Deleting backup {path.name} (database.keep_backups: {keep})")
            path.unlink()
            deleted.append(row["backup"])
        return deleted

    def find(self, name: str) -> Path:
        candidates = [Path(name), self.folder / name, self.folder / f"{name}{SUFFIX}"]
        found = next((path for path in candidates if path.is_file()), None)
        if found is None:
            raise UsageError(f"no backup {name} in {self.folder}",
                             hint=f"list them with 'airhost backups {self.local.env.name}'")
        return found

    def restore(self, name: str, report: Report, *, timeout: float = 300.0) -> dict[str, Any]:
        """Replace the database with a backup's content; Airflow is stopped meanwhile."""
        dump = self.find(name)
        self._client("pg_restore")  # fails early when the database is not reachable
        safety = self.create(report, label="before-restore")
        components = parts.airflow_components(self.local.env)
        report("Stopping " + ", ".join(components) + " (PostgreSQL keeps running)")
        for component in reversed(components):
            self.local.supervisor.stop(component)
        self._load(dump, report)
        report("Migrating the restored database to the installed Airflow (airflow db migrate)")
        self.local.airflow(["db", "migrate"], log_name="migrate", check=True)
        report("Starting " + ", ".join(components))
        for component in components:
            self.local.supervisor.start(component)
        self._wait_healthy(report, timeout)
        return {"environment": self.local.env.name, "restored": dump.name[:-len(SUFFIX)],
                "safety_backup": safety["backup"], "url": self.local.api_url()}

    def _load(self, dump: Path, report: Report) -> None:
        command, environment = self._client("pg_restore")
        if self.local.embedded_database:
            postgres, port = self._postgres()
            report(f"Recreating database {DATABASE}")
            postgres.psql(port, f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
            postgres.psql(port, f"CREATE DATABASE {DATABASE}")
            options = ["--no-owner", "--no-acl", "--exit-on-error"]
        else:
            options = ["--clean", "--if-exists", "--no-owner", "--no-acl", "--exit-on-error"]
        report(f"Restoring {dump.name}")
        result = subprocess.run([*command, *options, str(dump)], capture_output=True, text=True,
                                env=environment, check=False)
        if result.returncode != 0:
            raise LocalError(
                f"pg_restore of {dump.name} failed: {result.stderr.strip()[-800:]}",
                hint="the components are stopped; restore another backup, or "
                     f"'airhost up {self.local.env.name}' to start them on what is there")

    def _client(self, program: str) -> tuple[list[str], dict[str, str]]:
        """The program's command line against the environment's database, and its environment."""
        flag = "--dbname" if program == "pg_restore" else ""
        if not self.local.embedded_database:
            url = re.sub(r"^postgres(ql)?(\+[a-z0-9]+)?://", "postgresql://",
                         self.local.env.database.url or "")
            return [self.binaries(program), f"--dbname={url}"], dict(os.environ)
        postgres, port = self._postgres()
        target = [f"{flag}={DATABASE}"] if flag else [DATABASE]
        return ([self.binaries(program), "-h", "127.0.0.1", "-p", str(port), "-U", SUPERUSER,
                 *target], postgres.client_env(port))

    def _postgres(self) -> tuple[EmbeddedPostgres, int]:
        running = {p["name"]: p["statename"] for p in self.local.supervisor.processes()}
        port = self.local.ports().get("postgres")
        if running.get("postgres") != "RUNNING" or not port:
            raise LocalError(f"the database of '{self.local.env.name}' is not running",
                             hint=f"start it with 'airhost up {self.local.env.name}'")
        return EmbeddedPostgres(self.local.paths, self.local.secrets), port

    def _wait_healthy(self, report: Report, timeout: float) -> None:
        url = self.local.api_url()
        deadline = time.monotonic() + timeout
        while url and time.monotonic() < deadline:
            if all_healthy(read_health(url)):
                return
            time.sleep(1.0)
        raise LocalError(f"Airflow was not healthy within {timeout:.0f} s after the restore",
                         hint=f"see 'airhost status {self.local.env.name}' and 'airhost logs'")
