"""Ports on this machine: whether one is free, the next free one after a preference, and the ports
another local environment has chosen but not bound yet."""

from __future__ import annotations

import fcntl
import json
import os
import socket
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def free_port(preferred: int | None = None, host: str = "127.0.0.1") -> int:
    """``preferred`` when free, else the next free one after it, else any free port."""
    if preferred:
        for port in range(preferred, min(preferred + 100, 65536)):
            if port_is_free(port, host):
                return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


CLAIM_SECONDS = 600.0  # covers an up's wait for health: by then the components hold their ports


def claims_file() -> Path:
    """One file per user on this machine, shared by every project's local environments."""
    return Path(tempfile.gettempdir()) / f"airhost-{os.getuid()}" / "port-claims.json"


class PortClaims:
    """Ports an ``up`` has chosen and its components have not bound yet.

    A free port stays free until the component that was given it binds it, seconds later (an API
    server imports Airflow first). Two ``up``s of different projects started together would both
    find 8080 free, both give it to their API servers, and one would then sign in to the other's.
    So the choice is made under a lock, and a chosen port is claimed for its owner while the
    ``up`` that chose it runs (its process, at most ``CLAIM_SECONDS``): by the time that ``up``
    ends, the port is bound and no longer free, or its owner gave up on it.
    """

    def __init__(self, owner: str, path: Path | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.owner = owner
        self.path = path or claims_file()
        self.clock = clock

    @contextmanager
    def choosing(self) -> Iterator[set[int]]:
        """Hold the lock; yield the ports others claimed; ``claim`` within records the choice."""
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with open(self.path.with_suffix(".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield {port for port, claim in self._live().items() if claim["owner"] != self.owner}
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def claim(self, ports: Iterable[int]) -> None:
        """Record ``ports`` as this owner's (call inside ``choosing``); its older claims end."""
        claims = {port: claim for port, claim in self._live().items() if claim["owner"] != self.owner}
        until = self.clock() + CLAIM_SECONDS
        claims.update({port: {"owner": self.owner, "pid": os.getpid(), "until": until}
                       for port in ports})
        self._write(claims)

    def release(self) -> None:
        """The ``up`` is over: its ports are bound, or not needed."""
        with self.choosing():
            self._write({port: claim for port, claim in self._live().items()
                         if claim["owner"] != self.owner})

    def _write(self, claims: dict[int, dict[str, Any]]) -> None:
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps({str(port): claim for port, claim in claims.items()}))
        temporary.replace(self.path)

    def _live(self) -> dict[int, dict[str, Any]]:
        try:
            stored = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}
        now = self.clock()
        return {int(port): claim for port, claim in stored.items()
                if isinstance(claim, dict) and claim.get("until", 0) > now
                and _alive(claim.get("pid"))}


def _alive(pid: Any) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process: alive
    return True
