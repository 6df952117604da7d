"""A process-manager event listener that ends what a crashed component leaves behind.

The scheduler forks executor workers and a log server. If the scheduler itself is killed, its
children live on, holding ports and memory, while the process manager starts a new scheduler. The
process manager starts each component as the leader of its own process group, so when a component
exits unexpectedly this listener ends the rest of that group: politely first, then by force.
"""

from __future__ import annotations

import os
import signal
import sys
import time

from supervisor import childutils

GRACE_SECONDS = 5.0


def end_group(group: int, grace: float = GRACE_SECONDS) -> None:
    """SIGTERM every process left in ``group``; SIGKILL those still there after ``grace``."""
    try:
        os.killpg(group, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    try:
        os.killpg(group, signal.SIGKILL)
    except ProcessLookupError:
        pass


def parse_payload(payload: str) -> dict[str, str]:
    return dict(token.split(":", 1) for token in payload.split() if ":" in token)


def main() -> None:
    while True:
        headers, payload = childutils.listener.wait(sys.stdin, sys.stdout)
        if headers.get("eventname") == "PROCESS_STATE_EXITED":
            fields = parse_payload(payload)
            if fields.get("pid", "").isdigit():
                end_group(int(fields["pid"]))
        childutils.listener.ok(sys.stdout)


if __name__ == "__main__":
    main()
