"""The Docker command line: the seam between airhost and whatever engine the machine has.

Builds, logins (the password on stdin, never in arguments) and pushes go through ``Docker.run``;
a machine without the client or without an engine gets ``DockerUnavailable`` with what to do.
"""

from __future__ import annotations

import shutil
import subprocess
from typing import Callable

from airhost.errors import AirhostError

Report = Callable[[str], None]


class DockerUnavailable(AirhostError):
    """No Docker client, or no engine behind it."""

    exit_code = 3


class Docker:
    """The Docker command line: the seam between airhost and whatever engine the machine has."""

    def __init__(self, binary: str | None = None) -> None:
        self.binary = binary or shutil.which("docker")

    def require_engine(self) -> None:
        if not self.binary:
            raise DockerUnavailable(
                "cannot build the image: the docker command is not installed",
                hint="install Docker (or Podman with its docker command), or use --dockerfile-only "
                     "and build the written Dockerfile elsewhere")
        probe = subprocess.run([self.binary, "info", "--format", "{{.ServerVersion}}"],
                               capture_output=True, text=True, check=False)
        if probe.returncode != 0:
            reason = (probe.stderr.strip().splitlines() or ["no answer"])[-1]
            raise DockerUnavailable(
                f"cannot build the image: no Docker engine answers ({reason})",
                hint="start Docker, or use --dockerfile-only and build the written Dockerfile "
                     "where an engine runs")

    def run(self, args: list[str], *, stdin: str | None = None, report: Report | None = None) -> str:
        assert self.binary
        process = subprocess.run([self.binary, *args], input=stdin, capture_output=True, text=True,
                                 check=False)
        if process.returncode != 0:
            tail = "\n".join((process.stderr or process.stdout).strip().splitlines()[-8:])
            raise AirhostError(f"'docker {args[0]}' failed (exit {process.returncode}):\n{tail}")
        if report:
            for line in process.stdout.strip().splitlines()[-3:]:
                report(line)
        return process.stdout
