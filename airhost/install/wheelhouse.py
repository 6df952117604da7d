"""A wheelhouse for another machine: the release's locked packages as wheels for the nodes' platform.

An EC2 node installs Airflow without reaching the package index: every wheel it needs is put in
S3 beforehand, with a ``requirements.lock`` that pins each package and its hash. This module makes
both, on the deploying machine, for a platform other than its own (Linux arm64 or x86_64, the
configured CPython), with pip's documented way of doing so: ``--platform``, ``--python-version``,
``--implementation`` and ``--abi`` together, and ``--only-binary=:all:`` (a source distribution
cannot be built for another platform here, and a node never compiles).

1. ``resolve_lock``: the same inputs as the local virtualenv (``apache-airflow[extras]==X``, the
   release's constraints with the project's requirements layered on top, the requirements file)
   resolved by pip for the nodes' platform without downloading a wheel (``pip install --dry-run
   --report``). The lock lists ``name==version --hash=sha256:...`` for each package, so the node's
   pip checks every file it installs (hash-checking mode), and its digest names the wheelhouse: an
   unchanged resolution is an unchanged wheelhouse.
2. ``download_wheels``: exactly the lock's files (``pip download --no-deps --require-hashes``).

pip reads the index the way the user configured it (``PIP_INDEX_URL``, ``pip.conf``, a mirror,
``PIP_FIND_LINKS``): nothing here names an index.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from airhost.errors import AirhostError

Architecture = Literal["arm64", "x86_64"]
# Amazon Linux 2023 has glibc 2.34: every manylinux wheel up to that baseline runs on it. pip does
# not widen a --platform to the older baselines by itself, so each one is named.
GLIBC = (2, 34)
MACHINE = {"arm64": "aarch64", "x86_64": "x86_64"}
RESOLVE_TIMEOUT = 900.0
DOWNLOAD_TIMEOUT = 3600.0


class NoWheel(AirhostError):
    """A package the nodes need has no wheel for their platform."""


class WheelhouseFailed(AirhostError):
    """pip could not resolve or download the nodes' packages."""


@dataclass(frozen=True)
class NodePlatform:
    """Where the wheels will be installed: Linux on an architecture, a CPython version."""

    architecture: Architecture
    python: str  # "3.12"

    @property
    def title(self) -> str:
        return f"Linux {self.architecture}, CPython {self.python}"

    def platform_tags(self) -> list[str]:
        machine = MACHINE[self.architecture]
        tags = [f"manylinux_2_{minor}_{machine}" for minor in range(GLIBC[1], 16, -1)]
        tags.append(f"manylinux2014_{machine}")
        if machine == "x86_64":  # the older baselines exist only for x86_64
            tags += [f"manylinux_2_{minor}_{machine}" for minor in range(16, 4, -1)]
            tags += ["manylinux2010_x86_64", "manylinux1_x86_64"]
        return tags

    def pip_options(self) -> list[str]:
        """pip's options for this platform: all four together, as pip's documentation asks."""
        abi = "cp" + self.python.replace(".", "")
        options = ["--only-binary=:all:", "--implementation", "cp", "--python-version",
                   self.python, "--abi", abi, "--abi", "abi3", "--abi", "none"]
        for tag in self.platform_tags():
            options += ["--platform", tag]
        return options


@dataclass(frozen=True)
class Lock:
    """The nodes' packages, pinned with their hashes, for one platform."""

    platform: NodePlatform
    packages: tuple[tuple[str, str, str], ...]  # (name, version, sha256), sorted by name

    @property
    def text(self) -> str:
        header = f"# airhost wheelhouse lock for {self.platform.title}\n"
        return header + "".join(f"{name}=={version} --hash=sha256:{digest}\n"
                                for name, version, digest in self.packages)

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()


def _pip(arguments: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "pip", "--disable-pip-version-check", *arguments]
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise WheelhouseFailed(f"pip did not finish within {timeout:.0f} s",
                               hint="check the network to the package index, then deploy again") from None


def _failure(platform: NodePlatform, detail: str, doing: str) -> AirhostError:
    """pip's failure said the airhost way; a missing wheel named with what to do about it."""
    missing = re.search(r"satisfies the requirement (.+?) \(from versions", detail) or \
        re.search(r"No matching distribution found for (.+)", detail)
    if missing:
        wanted = missing.group(1).strip()
        return NoWheel(
            f"no wheel of {wanted} for the nodes ({platform.title}): the package publishes only a "
            "source distribution for this platform, or nothing that fits",
            hint="pin a version of it that publishes manylinux wheels for "
                 f"{MACHINE[platform.architecture]} (see its files on the package index), build the "
                 "wheel yourself and serve it from your own index (PIP_INDEX_URL or "
                 "PIP_FIND_LINKS), or set ec2.wheelhouse to a wheelhouse you built")
    last = [line for line in detail.splitlines() if line.strip()][-3:]
    return WheelhouseFailed(f"pip could not {doing} for the nodes ({platform.title}): "
                            + (" ".join(last) or "no output"),
                            hint="check requirements.txt and the network to the package index, "
                                 "then deploy again")


def resolve_lock(platform: NodePlatform, requirements: list[str], constraints: str,
                 requirements_file: Path | None) -> Lock:
    """What the nodes install: ``requirements`` with ``constraints`` and the requirements file,
    resolved by pip for ``platform`` (no wheel is downloaded)."""
    with tempfile.TemporaryDirectory(prefix="airhost-wheelhouse-") as folder:
        constraint_file = Path(folder) / "constraints.txt"
        constraint_file.write_text(constraints)
        report = Path(folder) / "report.json"
        arguments = ["install", "--dry-run", "--ignore-installed", "--quiet", "--report",
                     str(report), "--target", str(Path(folder) / "target"),
                     *platform.pip_options(), "--constraint", str(constraint_file), *requirements]
        if requirements_file is not None:
            arguments += ["--requirement", str(requirements_file)]
        result = _pip(arguments, RESOLVE_TIMEOUT)
        if result.returncode != 0:
            raise _failure(platform, result.stderr + result.stdout, "resolve the release's packages")
        installs = json.loads(report.read_text()).get("install", [])
    packages = []
    for item in installs:
        metadata, download = item["metadata"], item.get("download_info", {})
        digest = (download.get("archive_info", {}).get("hashes", {}) or {}).get("sha256")
        if not digest:  # a wheel pip found without a hash is read once more, to pin it
            raise WheelhouseFailed(
                f"pip resolved {metadata['name']} {metadata['version']} from "
                f"{download.get('url', 'somewhere')} without a sha256 to pin it by",
                hint="install from a package index that publishes hashes (PyPI does)")
        packages.append((_normalise(metadata["name"]), metadata["version"], digest))
    return Lock(platform, tuple(sorted(packages)))


def download_wheels(lock: Lock, folder: Path) -> list[Path]:
    """Exactly the lock's wheels into ``folder`` (each file checked against its hash)."""
    folder.mkdir(parents=True, exist_ok=True)
    lock_file = folder / "requirements.lock"
    lock_file.write_text(lock.text)
    result = _pip(["download", "--no-deps", "--require-hashes", "--quiet", "--dest", str(folder),
                   *lock.platform.pip_options(), "--requirement", str(lock_file)], DOWNLOAD_TIMEOUT)
    if result.returncode != 0:
        raise _failure(lock.platform, result.stderr + result.stdout, "download the wheels")
    return sorted(folder.glob("*.whl"))


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()
