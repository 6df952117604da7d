"""What airhost says when a local component will not run, or Airflow is up but no one can sign in.

``up`` waits for health; meanwhile the process manager restarts a component that exits. Waiting
out the full timeout for a component that fails the same way at every start helps no one, so a
component that has exited ``CRASH_LOOP_EXITS`` times is reported at once: its name, the last lines
of its log, and what to do. The same goes for a health endpoint that answers while signing in
(``POST /auth/token``, what the UI and ``airhost dags list`` need) fails.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

from airhost.errors import LocalError
from airhost.airflow_api import ApiClient, ApiError, ApiUnauthorized

CRASH_LOOP_EXITS = 2  # one restart did not help: the cause is not transient
TAIL_LINES = 15
LOGIN_ATTEMPTS_SECONDS = 20.0
STABLE_SECONDS = 600.0  # up this long since its last restart: no longer crash-looping


def log_tail(log: Path, lines: int = TAIL_LINES) -> str:
    if not log.exists():
        return "(no log written)"
    text = log.read_text(errors="replace").splitlines()
    return "\n".join(f"    {line}" for line in text[-lines:]) or "(the log is empty)"


def is_crash_looping(state: str, exits: int, uptime: float | None) -> bool:
    """Given up on, waiting to be restarted, or up again only briefly after repeated exits.

    A component that takes longer than the process manager's start window to fail (a slow import
    on a busy machine) shows as RUNNING between its exits, so the count and the uptime decide.
    """
    if state in ("FATAL", "BACKOFF"):
        return True
    return exits >= CRASH_LOOP_EXITS and (uptime is None or uptime < STABLE_SECONDS)


def crash_loop_error(name: str, exits: int, seconds: float, log: Path, environment: str) -> LocalError:
    return LocalError(
        f"{name} exits at start: it has stopped {exits} times in {seconds:.0f} s and the process "
        f"manager keeps restarting it. The last lines of its log:\n{log_tail(log)}\n",
        hint=f"fix what the log names (often airflow.config, a requirement, or a library that does "
             f"not fit this Airflow release: see .airhost/{environment}/requirements.lock), then "
             f"run 'airhost up {environment}' again; 'airhost down {environment}' stops it "
             f"meanwhile; full log: {log}")


def login_problem(url: str, username: str, password: str,
                  sleep: Callable[[float], None] = time.sleep,
                  clock: Callable[[], float] = time.monotonic) -> str | None:
    """None when ``POST /auth/token`` gives a token; else what it answered last."""
    deadline = clock() + LOGIN_ATTEMPTS_SECONDS
    problem = "no answer"
    while True:
        try:
            ApiClient(url, username, password)
            return None
        except ApiUnauthorized as error:
            return f"{error.message} (the generated credentials were refused)"
        except ApiError as error:
            problem = error.message
        if clock() >= deadline:
            return problem
        sleep(1.0)


def login_error(problem: str, log: Path, environment: str) -> LocalError:
    return LocalError(
        f"Airflow reports healthy but signing in fails ({problem}), so "
        f"neither the UI nor 'airhost dags list' can work. The last lines of the API server's "
        f"log:\n{log_tail(log)}\n",
        hint=f"fix what the log names (a library newer than this Airflow release was tested with "
             f"shows up here: see .airhost/{environment}/requirements.lock, or set "
             f"airflow.constraints), then run 'airhost up {environment}' again; full log: {log}")
