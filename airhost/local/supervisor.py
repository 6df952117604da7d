"""The process manager of the local target: supervisord, driven over its XML-RPC socket.

supervisord runs detached, starts each component when asked, restarts one that crashes, keeps its
log, and stops every process group cleanly. airhost writes its configuration (one program per
component) and talks to it; it does not manage processes itself. It starts supervisord through
``airhost.local.process_manager``, which puts each program in a session of its own.
"""

from __future__ import annotations

import configparser
import hashlib
import io
import os
import re
import shlex
import subprocess
import sys
import time
import xmlrpc.client
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from supervisor.xmlrpc import SupervisorTransport

from airhost.errors import LocalError
from airhost.local.paths import LocalPaths


@dataclass(frozen=True)
class Program:
    """One supervised process."""

    name: str
    command: list[str]
    environment_file: Path | None = None  # sourced by sh before exec: values with any character
    user: str | None = None
    stop_signal: str = "TERM"
    stop_wait_seconds: int = 30
    # TERM to the whole process group, or to the main process only (a Celery worker's pool children
    # must not get it: the main process drains them, a warm shutdown). KILL always takes the group.
    stop_as_group: bool = True
    directory: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


def render_config(paths: LocalPaths, programs: list[Program]) -> str:
    """supervisord.conf for the programs; pure."""
    parser = configparser.RawConfigParser()
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser["unix_http_server"] = {"file": str(paths.supervisor_socket), "chmod": "0700"}
    parser["supervisord"] = {
        "logfile": str(paths.logs / "supervisord.log"),
        "logfile_maxbytes": "5MB",
        "logfile_backups": "2",
        "pidfile": str(paths.supervisor_pid),
        "directory": str(paths.project_root),
        "nodaemon": "false",
        "silent": "true",
        "minfds": "1024",
    }
    parser["rpcinterface:supervisor"] = {
        "supervisor.rpcinterface_factory": "supervisor.rpcinterface:make_main_rpcinterface"
    }
    parser["supervisorctl"] = {"serverurl": f"unix://{paths.supervisor_socket}"}
    for program in programs:
        command = shlex.join(program.command)
        if program.environment_file:
            command = shlex.join(
                ["/bin/sh", "-c", f"set -a && . {shlex.quote(str(program.environment_file))} "
                                  f"&& exec {command}"])
        section = {
            "command": command,
            "autostart": "false",
            "autorestart": "true",
            "startsecs": "3",
            "startretries": "5",
            "stopsignal": program.stop_signal,
            "stopwaitsecs": str(program.stop_wait_seconds),
            "stopasgroup": "true" if program.stop_as_group else "false",
            "killasgroup": "true",
            "redirect_stderr": "true",
            "stdout_logfile": str(paths.component_log(program.name)),
            "stdout_logfile_maxbytes": "20MB",
            "stdout_logfile_backups": "3",
            "directory": program.directory or str(paths.project_root),
        }
        if program.environment_file and program.environment_file.exists():
            # The file's digest makes a changed environment a changed program, so reloads restart it.
            digest = hashlib.sha256(program.environment_file.read_bytes()).hexdigest()[:16]
            section["environment"] = f'AIRHOST_SETTINGS_DIGEST="{digest}"'
        if program.user:
            section["user"] = program.user
        section.update(program.extra)
        parser[f"program:{program.name}"] = section
    package_parent = str(Path(__file__).resolve().parents[2])
    parser["eventlistener:reaper"] = {
        "command": shlex.join([sys.executable, "-m", "airhost.local.reaper"]),
        "events": "PROCESS_STATE_EXITED",
        "environment": f'PYTHONPATH="{package_parent}"',
        "autorestart": "true",
        "stderr_logfile": str(paths.logs / "reaper.log"),
        "directory": str(paths.project_root),
    }
    buffer = io.StringIO()
    parser.write(buffer)
    return buffer.getvalue()


class Supervisor:
    """A running (or not yet running) supervisord for one local environment."""

    def __init__(self, paths: LocalPaths) -> None:
        self.paths = paths

    def _proxy(self) -> Any:
        transport = SupervisorTransport(None, None, f"unix://{self.paths.supervisor_socket}")
        return xmlrpc.client.ServerProxy("http://127.0.0.1", transport=transport)

    def is_running(self) -> bool:
        if not self.paths.supervisor_socket.exists():
            return False
        try:
            return self._proxy().supervisor.getState()["statename"] == "RUNNING"
        except (OSError, xmlrpc.client.Error):
            return False

    def configure(self, programs: list[Program]) -> bool:
        """Write the configuration; True when it changed."""
        text = render_config(self.paths, programs)
        conf = self.paths.supervisor_conf
        if conf.exists() and conf.read_text() == text:
            return False
        self.paths.logs.mkdir(parents=True, exist_ok=True)
        conf.write_text(text)
        return True

    def start_daemon(self) -> None:
        if self.is_running():
            return
        self.paths.supervisor_socket.unlink(missing_ok=True)
        result = subprocess.run(
            [sys.executable, "-m", "airhost.local.process_manager", "-c", str(self.paths.supervisor_conf)],
            capture_output=True, text=True, check=False,
            env={k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")},
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.is_running():
                return
            time.sleep(0.1)
        raise LocalError(
            "the process manager (supervisord) did not start: "
            + (result.stderr.strip() or result.stdout.strip() or "no output"),
            hint=f"see {self.paths.logs / 'supervisord.log'}",
        )

    def reload(self) -> None:
        """Apply a changed configuration: programs added, removed or changed are restarted."""
        proxy = self._proxy()
        added, changed, removed = proxy.supervisor.reloadConfig()[0]
        for name in removed + changed:
            try:
                proxy.supervisor.stopProcessGroup(name, False)
            except xmlrpc.client.Fault:
                pass
            self._wait_stopped(name)
            proxy.supervisor.removeProcessGroup(name)
        for name in added + changed:
            proxy.supervisor.addProcessGroup(name)

    def start(self, name: str) -> None:
        proxy = self._proxy()
        info = proxy.supervisor.getProcessInfo(name)
        if info["statename"] in ("RUNNING", "STARTING"):
            return
        try:
            proxy.supervisor.startProcess(name, False)
        except xmlrpc.client.Fault as fault:
            raise LocalError(f"could not start {name}: {fault.faultString}",
                             hint=f"see {self.paths.component_log(name)}") from None

    def stop(self, name: str) -> None:
        """Stop one program; return once it has stopped (or was not running)."""
        try:
            self._proxy().supervisor.stopProcess(name, False)
        except xmlrpc.client.Fault as fault:
            if "NOT_RUNNING" not in fault.faultString:
                raise
            return
        self._wait_stopped(name)

    def _wait_stopped(self, name: str, timeout: float = 900.0) -> None:
        """Wait here, not in the call: while a call that waits (``stopProcess(name, True)``) is
        open, supervisord polls its socket without pause, a whole core for as long as the program
        takes to stop. The default covers a worker's warm shutdown."""
        proxy = self._proxy()
        deadline = time.monotonic() + timeout
        while True:
            try:
                state = proxy.supervisor.getProcessInfo(name)["statename"]
            except xmlrpc.client.Fault:
                return  # a group of another name, or gone: nothing left to wait for
            if state != "STOPPING":
                return
            if time.monotonic() > deadline:
                raise LocalError(f"{name} did not stop within {timeout:.0f} s",
                                 hint=f"see {self.paths.component_log(name)}")
            time.sleep(0.2)

    def processes(self) -> list[dict[str, Any]]:
        """Every program with its state, pid and uptime; [] when the manager is not running."""
        if not self.is_running():
            return []
        return list(self._proxy().supervisor.getAllProcessInfo())

    def unexpected_exits(self) -> dict[str, int]:
        """How often each program exited unexpectedly since the process manager last started.

        supervisord restarts such a program (after a growing back-off) and logs each exit; its log
        is the record, so the count survives airhost itself exiting.
        """
        log = self.paths.logs / "supervisord.log"
        try:
            lines = log.read_text(errors="replace").splitlines()
        except OSError:
            return {}
        counts: dict[str, int] = {}
        for line in lines:
            if " supervisord started with pid " in line:
                counts = {}
                continue
            match = re.search(r" exited: (\S+) \(.*not expected\)", line)
            if match:
                counts[match.group(1)] = counts.get(match.group(1), 0) + 1
        return counts

    def shutdown(self, timeout: float = 900.0) -> None:
        """Stop every program and the manager itself; wait for the end.

        supervisord's own shutdown stops one priority group at a time, highest first, and waits for
        it (workers, then Airflow, then Redis and PostgreSQL), whereas ``stopAllProcesses`` signals
        all at once and pulls the database from under a worker still finishing its tasks. The
        default timeout covers a worker's warm shutdown (``stop_wait_seconds``) plus the rest.
        """
        if not self.is_running():
            return
        try:
            self._proxy().supervisor.shutdown()
        except (OSError, xmlrpc.client.Error):
            pass
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self._daemon_alive():
                self.paths.supervisor_socket.unlink(missing_ok=True)
                return
            time.sleep(0.2)
        raise LocalError("the process manager did not stop in time",
                         hint=f"see {self.paths.logs / 'supervisord.log'}")

    def _daemon_alive(self) -> bool:
        try:
            pid = int(self.paths.supervisor_pid.read_text().strip())
        except (OSError, ValueError):
            return False
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
