"""The local target: ``up``, ``down``, ``status`` and one-off Airflow commands for one environment.

``up`` goes: virtualenv → secrets → ports → process manager → PostgreSQL → ``airflow db migrate`` →
admin user → components → wait until healthy → DAG checker. Each step is idempotent, so ``up`` twice
is harmless and an interrupted ``up`` is finished by the next one; a step whose work is already done
(a current virtualenv, a schema at the installed revision, an existing admin) is checked without
starting Airflow and skipped.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from airhost.config.loader import Project
from airhost.config.models import Environment
from airhost.errors import Aborted, LocalError
from airhost.local import components as parts
from airhost.local import failures
from airhost.local import python_env
from airhost.local import schema
from airhost.dags.destinations import FolderDestination
from airhost.dags.push import apply_sync
from airhost.airflow_api import ApiClient, all_healthy, read_health
from airhost.local.ports import PortClaims, port_is_free
from airhost.local.paths import LocalPaths
from airhost.local.postgres import DATABASE, EmbeddedPostgres
from airhost.local.secrets import ADMIN_PASSWORD, LocalSecrets
from airhost.local.supervisor import Supervisor
from airhost.render.airflow_env import ADMIN_USER

Report = Callable[[str], None]


@dataclass(frozen=True)
class UpResult:
    url: str
    username: str
    password: str | None  # shown once, when it was just generated
    virtualenv_built: bool
    seconds: float


class LocalEnvironment:
    """One local environment of a project."""

    def __init__(self, project: Project, env: Environment) -> None:
        if not env.is_local:
            raise LocalError(f"environment '{env.name}' has target {env.target}, not local")
        self.project = project
        self.env = env
        self.paths = LocalPaths(project.root, env.name)
        self.secrets = LocalSecrets(self.paths.secrets)
        self.supervisor = Supervisor(self.paths)

    # -- facts -------------------------------------------------------------------------------

    @property
    def embedded_database(self) -> bool:
        return self.env.database.url is None

    @property
    def uses_redis(self) -> bool:
        return self.env.airflow.executor == "celery"

    def ports(self) -> dict[str, int]:
        return dict(self.paths.read_state().get("ports", {}))

    def api_url(self) -> str | None:
        port = self.ports().get("api")
        return f"http://127.0.0.1:{port}" if port else None

    def admin_password(self) -> str | None:
        return self.secrets.read(ADMIN_PASSWORD)

    @property
    def project_dags(self) -> Path:
        return (self.project.root / self.env.dags.folder).resolve()

    def api_client(self) -> ApiClient:
        """A logged-in REST API client; a clear error when the environment is not running."""
        url = self.api_url()
        if not url or not self.supervisor.is_running():
            raise LocalError(f"environment '{self.env.name}' is not running",
                             hint=f"start it with 'airhost up {self.env.name}'")
        return ApiClient(url, ADMIN_USER, self.admin_password() or "")

    # -- up ----------------------------------------------------------------------------------

    def up(self, report: Report, *, timeout: float = 300.0) -> UpResult:
        started = time.monotonic()
        plan = python_env.install_plan(self.env, self.project.root, report)
        if plan.python_note:
            report(f"note: {plan.python_note}")
        if not python_env.is_current(self.paths, plan):
            report(f"Installing {plan.requirement} into .airhost/{self.env.name}/venv "
                   "(first time or requirements changed)")
        built = python_env.ensure_virtualenv(self.paths, plan, report)
        new_password = self.secrets.ensure_all()
        running = self.supervisor.is_running()
        ports = self._choose_ports(running, report)
        try:
            postgres = EmbeddedPostgres(self.paths, self.secrets) if self.embedded_database else None
            if postgres:
                postgres.initialise()
                self.secrets.set("database_url", postgres.url(ports["postgres"]))
            else:
                self.secrets.set("database_url", self.env.database.url or "")
            site = parts.local_site(self.env, self.paths, self.secrets, ports)
            self.paths.airflow_home.mkdir(parents=True, exist_ok=True)
            self.paths.task_logs.mkdir(parents=True, exist_ok=True)
            env_files = parts.write_environment_files(self.env, self.paths, site, self.secrets)
            programs = parts.programs(
                self.env, self.paths, env_files,
                postgres.server_command(ports["postgres"]) if postgres else None,
                postgres.user if postgres else None,
                self._redis_command(ports) if self.uses_redis else None,
                plan.fingerprint,
            )
            publish = self.env.dags.source == "bundle" and not self.env.local.dag_bucket
            if publish and not self.paths.bundle.exists():
                report(f"Publishing {self.env.dags.folder}/ to the local DAG bundle "
                       "(later changes ship with 'airhost dags push')")
                self.paths.bundle.mkdir(parents=True)
                apply_sync(self.project_dags, FolderDestination(self.paths.bundle), report)
            changed = self.supervisor.configure(programs)
            if running and changed:
                report("Configuration changed: restarting the components that changed")
                self.supervisor.reload()
            self.supervisor.start_daemon()
            if postgres:
                report(f"Starting PostgreSQL on 127.0.0.1:{ports['postgres']}")
                self.supervisor.start("postgres")
                postgres.wait_ready(ports["postgres"])
                postgres.ensure_database(ports["postgres"])
            if self.uses_redis:
                report(f"Starting Redis on 127.0.0.1:{ports['redis']}")
                self.supervisor.start("redis")
            if postgres and self._schema_current(postgres, ports["postgres"]):
                report("The metadata database is at the installed Airflow's revision: no migration")
            else:
                report("Migrating the metadata database (airflow db migrate)")
                self.airflow(["db", "migrate"], log_name="migrate", check=True)
                self._record_migration()
            if self.env.auth_manager == "fab":
                self._ensure_fab_admin(postgres, ports.get("postgres"))
            exits_before = self.supervisor.unexpected_exits()
            self._record_exits_at_start(exits_before)
            for component in parts.airflow_components(self.env):
                self.supervisor.start(component)
            url = f"http://127.0.0.1:{ports['api']}"
            self._wait_healthy(url, report, timeout, exits_before)
            if any(program.name == parts.DAG_CHECKER for program in programs):
                self.paths.dag_check_home.mkdir(parents=True, exist_ok=True)
                self.supervisor.start(parts.DAG_CHECKER)  # after the rest: it does not delay healthy
            report("Signing in (POST /auth/token)")
            problem = failures.login_problem(url, ADMIN_USER, self.admin_password() or "")
            if problem:
                raise failures.login_error(problem, self.paths.component_log("api-server"), self.env.name)
            return UpResult(url=url, username=ADMIN_USER,
                            password=self.admin_password() if new_password else None,
                            virtualenv_built=built, seconds=time.monotonic() - started)
        finally:
            # whether healthy or given up on: its ports are bound now, or no longer needed
            PortClaims(str(self.paths.base)).release()

    def _choose_ports(self, running: bool, report: Report) -> dict[str, int]:
        state = self.paths.read_state()
        ports: dict[str, int] = dict(state.get("ports", {}))
        # "logs" and "trigger_logs": where the scheduler (or worker) and the triggerer serve live
        # task logs. Airflow's defaults (8793, 8794) would be shared by every environment on the
        # machine, so each environment gets its own.
        wanted = {"api": self.env.local.port, "logs": ports.get("logs", 8793),
                  "trigger_logs": ports.get("trigger_logs", 8794)}
        if self.embedded_database:
            wanted["postgres"] = ports.get("postgres", 5432)
        if self.uses_redis:
            wanted["redis"] = ports.get("redis", 6379)
        claims = PortClaims(str(self.paths.base))
        with claims.choosing() as claimed:
            taken: set[int] = set()

            def available(port: int) -> bool:
                return port not in taken and port not in claimed and port_is_free(port)

            for name, preferred in wanted.items():
                current = ports.get(name)
                if running and current:
                    taken.add(current)
                    continue  # ours: the components already hold it
                if name == "api" and current and current != preferred and available(preferred):
                    current = None  # the configured port is free again: go back to it
                candidate = current or preferred
                if not available(candidate):
                    chosen = candidate + 1
                    while not available(chosen):
                        chosen += 1
                    if name == "api":
                        busy = "chosen by another environment starting now" if candidate in claimed \
                            else "busy"
                        report(f"note: port {candidate} is {busy}; the API server uses {chosen} "
                               "instead")
                    candidate = chosen
                ports[name] = candidate
                taken.add(candidate)
            claims.claim(port for name, port in ports.items() if name in wanted)
        for stale in set(ports) - set(wanted):
            ports.pop(stale)
        state["ports"] = ports
        self.paths.write_state(state)
        return ports

    def _redis_command(self, ports: dict[str, int]) -> list[str]:
        binary = shutil.which("redis-server")
        if not binary:
            raise LocalError("executor celery needs Redis locally, and redis-server is not installed",
                             hint="install it (Debian/Ubuntu: apt-get install redis-server; "
                                  "macOS: brew install redis)")
        data = self.paths.base / "redis"
        data.mkdir(parents=True, exist_ok=True)
        return [binary, "--bind", "127.0.0.1", "--port", str(ports["redis"]), "--dir", str(data),
                "--save", "", "--appendonly", "no", "--protected-mode", "yes"]

    def airflow(self, args: list[str], *, log_name: str | None = None, check: bool = False,
                capture: bool = False) -> subprocess.CompletedProcess[str]:
        """Run one Airflow CLI command with the environment's utils settings."""
        env_file = self.paths.env_files / "utils.env"
        if not env_file.exists() or not self.paths.airflow_bin.exists():
            raise LocalError(f"environment '{self.env.name}' has not been set up yet",
                             hint=f"run 'airhost up {self.env.name}' first")
        command = ["/bin/sh", "-c", 'set -a && . "$0" && exec "$@"', str(env_file),
                   str(self.paths.airflow_bin), *args]
        if log_name:
            log = self.paths.component_log(log_name)
            with log.open("w") as handle:
                result = subprocess.run(command, stdout=handle, stderr=subprocess.STDOUT, text=True,
                                        cwd=self.project.root, check=False)
            if check and result.returncode != 0:
                tail = "\n".join(log.read_text(errors="replace").splitlines()[-15:])
                raise LocalError(f"'airflow {' '.join(args)}' failed (exit {result.returncode}):\n{tail}",
                                 hint=f"full output in {log}")
            return result
        return subprocess.run(command, capture_output=capture, text=True, cwd=self.project.root,
                              check=False)

    def run_streamed(self, args: list[str], on_line: Callable[[str], None], *,
                     timeout: float) -> int:
        """Run a one-off command as ``airhost run`` does: Airflow's CLI (or ``bash``/``python``,
        as the official image's entrypoint allows), its output line by line; its exit code."""
        env_file = self.paths.env_files / "utils.env"
        if not env_file.exists() or not self.paths.airflow_bin.exists():
            raise LocalError(f"environment '{self.env.name}' has not been set up yet",
                             hint=f"run 'airhost up {self.env.name}' first")
        if args[:1] == ["python"]:
            argv = [str(self.paths.venv / "bin" / "python"), *args[1:]]
        elif args[:1] in (["bash"], ["sh"]):
            argv = args
        else:
            argv = [str(self.paths.airflow_bin), *args]
        command = ["/bin/sh", "-c", 'set -a && . "$0" && exec "$@"', str(env_file), *argv]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   text=True, cwd=self.project.root,
                                   env={**os.environ, "PATH": f"{self.paths.venv / 'bin'}:"
                                        + os.environ.get("PATH", "")})
        fired = threading.Event()

        def stop() -> None:
            fired.set()
            process.kill()

        timer = threading.Timer(timeout, stop)
        timer.start()
        try:
            assert process.stdout is not None
            for line in process.stdout:
                on_line(line.rstrip("\n"))
            code = process.wait()
        except KeyboardInterrupt:
            process.terminate()
            process.wait()
            raise Aborted("interrupted: the command was stopped") from None
        finally:
            timer.cancel()
        if fired.is_set():
            raise LocalError(f"the command ran longer than {timeout:.0f} s and was stopped",
                             hint="pass a longer --timeout")
        return code

    def _migration_key(self) -> str:
        """What a migration was run against: the installed heads and the utils settings (``db
        migrate`` also records settings such as the log file name template)."""
        settings = (self.paths.env_files / "utils.env").read_bytes()
        heads = schema.installed_heads(self.paths.venv) or {}
        return hashlib.sha256(json.dumps([sorted(heads.items()), settings.hex()]).encode()).hexdigest()

    def _record_migration(self) -> None:
        state = self.paths.read_state()
        state["migrated"] = self._migration_key()
        self.paths.write_state(state)

    def _record_exits_at_start(self, exits: dict[str, int]) -> None:
        """The exits before this start: restarts count from here, so a component that crash-looped
        under yesterday's settings is not reported crash-looping once it runs under today's."""
        state = self.paths.read_state()
        state["exits_at_start"] = exits
        self.paths.write_state(state)

    def _restarts(self, name: str, exits: dict[str, int]) -> int:
        since = exits.get(name, 0) - self.paths.read_state().get("exits_at_start", {}).get(name, 0)
        return since if since >= 0 else exits.get(name, 0)  # the process manager started afresh

    def _schema_current(self, postgres: EmbeddedPostgres, port: int) -> bool:
        """True when ``airflow db migrate`` would change nothing: the database's alembic revisions are
        the installed Airflow's heads, and the last migration ran with the same settings."""
        heads = schema.installed_heads(self.paths.venv)
        if not heads or self.paths.read_state().get("migrated") != self._migration_key():
            return False
        try:
            existing = set(postgres.psql(port, schema.existing_tables_query(list(heads)),
                                         database=DATABASE).split())
            if existing != set(heads):
                return False
            present = schema.parse_revisions(
                postgres.psql(port, schema.revisions_query(sorted(heads)), database=DATABASE))
        except LocalError:
            return False
        return not schema.pending_tables(heads, present)

    def _ensure_fab_admin(self, postgres: EmbeddedPostgres | None, port: int | None) -> None:
        if postgres and port:
            try:  # the users table itself: no Airflow start needed to know
                if postgres.psql(port, f"SELECT 1 FROM ab_user WHERE username = '{ADMIN_USER}'",
                                 database=DATABASE) == "1":
                    return
            except LocalError:
                pass
        else:
            listed = self.airflow(["users", "list", "--output", "json"], capture=True)
            if f'"{ADMIN_USER}"' in (listed.stdout or ""):
                return
        password = self.admin_password() or ""
        self.airflow(["users", "create", "--username", ADMIN_USER, "--password", password,
                      "--role", "Admin", "--email", "admin@localhost", "--firstname", "Airflow",
                      "--lastname", "Admin"], log_name="admin-user", check=True)

    def _wait_healthy(self, url: str, report: Report, timeout: float,
                      exits_before: dict[str, int]) -> None:
        started = time.monotonic()
        deadline = started + timeout
        last = ""
        while time.monotonic() < deadline:
            health = read_health(url)
            if all_healthy(health):
                return
            waiting = ", ".join(part for part, state in health.items() if state != "healthy")
            if waiting != last:
                report(f"Waiting for: {waiting}")
                last = waiting
            self._raise_if_crash_looping(exits_before, time.monotonic() - started)
            time.sleep(0.25)
        raise LocalError(
            f"Airflow was not healthy within {timeout:.0f} s (still waiting for: {last})",
            hint=f"see 'airhost logs {self.env.name}' and 'airhost status {self.env.name}'",
        )

    def _raise_if_crash_looping(self, exits_before: dict[str, int], seconds: float) -> None:
        """A component that exited repeatedly since it was started (or was given up on) ends the wait."""
        exits = self.supervisor.unexpected_exits()
        for process in self.supervisor.processes():
            name = process["name"]
            since = exits.get(name, 0) - exits_before.get(name, 0)
            if process["statename"] == "FATAL" or since >= failures.CRASH_LOOP_EXITS:
                raise failures.crash_loop_error(name, max(since, 1), seconds,
                                                self.paths.component_log(name), self.env.name)

    # -- down, status ------------------------------------------------------------------------

    def down(self, *, purge: bool = False) -> bool:
        """Stop everything; with ``purge`` also delete the state. True when something was running."""
        was_running = self.supervisor.is_running()
        self.supervisor.shutdown()
        if purge and self.paths.base.exists():
            shutil.rmtree(self.paths.base)
        return was_running

    def status(self) -> dict:
        processes = {p["name"]: p for p in self.supervisor.processes()}
        exits = self.supervisor.unexpected_exits() if processes else {}
        url = self.api_url()
        health = read_health(url) if url and processes else {}
        health_of = {"api-server": "api_server", "scheduler": "scheduler", "triggerer": "triggerer",
                     "dag-processor": "dag_processor", "postgres": "metadatabase"}
        names = (["postgres"] if self.embedded_database else []) + (["redis"] if self.uses_redis else [])
        names += parts.airflow_components(self.env)
        components = []
        for name in names:
            process = processes.get(name)
            state = process["statename"] if process else "STOPPED"
            pid = process["pid"] if process and process["pid"] else None
            uptime = (process["now"] - process["start"]) if process and state == "RUNNING" else None
            restarts = self._restarts(name, exits)
            components.append({"component": name, "state": state, "pid": pid,
                               "uptime_seconds": uptime, "restarts": restarts,
                               "crash_looping": failures.is_crash_looping(state, restarts, uptime),
                               "health": health.get(health_of.get(name, ""), None)})
        running = any(c["state"] == "RUNNING" for c in components)
        return {
            "environment": self.env.name,
            "target": "local",
            "running": running,
            "healthy": bool(health) and all_healthy(health),
            "url": url if running else None,
            "username": ADMIN_USER,
            "airflow_version": self.env.airflow.version,
            "executor": self.env.airflow.executor,
            "components": components,
            "state_dir": str(self.paths.base),
        }
