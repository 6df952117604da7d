"""supervisord as the local target runs it: every program in a session of its own.

supervisord starts each program as the leader of a new process group inside supervisord's own
session. Linux shares CPU between sessions before it shares it between processes when autogroup
scheduling is on (the default of the common distributions' kernels): with every component in one
session, the API server gets no more CPU than any one of the scheduler's task processes, the very
processes that wait on it. In a session of its own each component gets its own share, as in a
container of its own or when started from a shell. A new session is also a new process group with
the same number, so stopping a program's group, and the reaper's clean-up, are unchanged.

Run as ``python -m airhost.local.process_manager -c supervisord.conf`` (supervisord's options).
"""

from __future__ import annotations

import os
import sys

from supervisor import supervisord
from supervisor.options import ServerOptions
from supervisor.states import SupervisorStates


class SessionPerProgram(ServerOptions):  # type: ignore[misc]
    def setpgrp(self) -> None:
        """Called in the forked child before it execs a program: a new session, not only a group."""
        os.setsid()


def main(argv: list[str] | None = None) -> None:
    """supervisord's own main loop (a SIGHUP restarts it with the configuration read again)."""
    first = True
    while True:
        options = SessionPerProgram()
        options.realize(argv, doc=supervisord.__doc__)
        options.first = first
        options.test = False
        supervisord.go(options)
        options.close_httpservers()
        options.close_logger()
        first = False
        if options.mood < SupervisorStates.RESTARTING:
            break


if __name__ == "__main__":
    main(sys.argv[1:])
