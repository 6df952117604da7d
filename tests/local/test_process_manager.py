"""The local process manager, for real: supervisord as airhost starts it, with plain programs."""

from __future__ import annotations

import os
import time

import pytest

from airhost.local.paths import LocalPaths
from airhost.local.supervisor import Program, Supervisor

# A parent with a child, like a component with its workers: both must share the component's session.
FAMILY = ["/bin/sh", "-c", "sleep 300 & exec sleep 300"]


def _children(pid: int) -> list[int]:
    try:
        text = open(f"/proc/{pid}/task/{pid}/children").read()
    except OSError:
        return []
    return [int(child) for child in text.split()]


@pytest.fixture
def manager(tmp_path):
    paths = LocalPaths(tmp_path, "local")
    supervisor = Supervisor(paths)
    supervisor.configure([Program("first", FAMILY), Program("second", FAMILY)])
    supervisor.start_daemon()
    yield supervisor
    supervisor.shutdown(timeout=60)


@pytest.mark.skipif(not os.path.exists("/proc/self/task"), reason="reads process families from /proc")
def test_each_program_runs_in_a_session_of_its_own_and_stops_with_its_family(manager):
    for name in ("first", "second"):
        manager.start(name)
    deadline = time.monotonic() + 20
    while any(p["statename"] != "RUNNING" for p in manager.processes()):  # running 3 s: started
        assert time.monotonic() < deadline, manager.processes()
        time.sleep(0.2)
    pids = {p["name"]: p["pid"] for p in manager.processes() if p["name"] in ("first", "second")}
    daemon = int(manager.paths.supervisor_pid.read_text())
    # a session each: Linux shares CPU between sessions first, so no component is one process
    # among another component's many
    for name, pid in pids.items():
        assert os.getsid(pid) == pid and os.getpgid(pid) == pid, name
        assert os.getsid(pid) != os.getsid(daemon), name
    deadline = time.monotonic() + 10
    while not _children(pids["first"]) and time.monotonic() < deadline:
        time.sleep(0.1)
    child = _children(pids["first"])[0]
    assert os.getsid(child) == pids["first"]  # a component's children stay in its session

    manager.stop("first")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        raise AssertionError("stopping a program left its child running")
    states = {p["name"]: p["statename"] for p in manager.processes()}
    assert states["first"] == "STOPPED" and states["second"] == "RUNNING"
