"""The constraints an Airflow release installs with: the set of versions it was tested with.

Airflow documents one way to install a release reproducibly: ``pip install apache-airflow==X``
with ``--constraint`` the release's constraint file (``constraints-<version>/constraints-<py>.txt``
in the apache/airflow repository). Without it the resolver takes today's newest libraries, which an
older release was never tested with (a newer PyJWT breaks 3.0's logins; a newer pydantic stops
3.2's API server at import). Every install airhost makes (the local virtualenv, the project image,
the upgrade check) therefore goes through ``release_constraints``, which finds, in order:

1. ``airflow.constraints``: the project's own constraints file, used as it is;
2. the release's constraint file, fetched with a short timeout and cached;
3. when it cannot be fetched (no route to GitHub), a constraint set resolved with uv's
   ``--exclude-newer`` at the day after the release's upload to PyPI (read from PyPI's JSON API,
   cached): Airflow's dependencies as they existed when the release shipped. The result is cached,
   so the same project resolves the same way again.

The fallback is written as a constraints file instead of passing ``--exclude-newer`` to every
install: the image's pip has no such option, and a file pins the same versions for every consumer.
For the same reason ``--exclude-newer-package`` (which would free the user's own packages in one uv
call) is not used: the user's requirements are layered on top as Airflow's documentation describes
— installed together with ``apache-airflow==X`` and the constraints, minus the lines for packages
the requirements name themselves (``layered``), so a project's pin of a newer provider or library
wins over the release's tested version while everything else stays as tested.

Which path was taken is always reported; never a silent resolution against today's index.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import re
import subprocess
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Literal

from airhost.errors import AirhostError, ConfigError
from airhost.tools.uv import uv_binary, uv_environment

CONSTRAINTS_URL = ("https://raw.githubusercontent.com/apache/airflow/constraints-{version}/"
                   "constraints-{python}.txt")
PYPI_RELEASE_URL = "https://pypi.org/pypi/apache-airflow/{version}/json"
PYPI_PROJECT_URL = "https://pypi.org/pypi/apache-airflow/json"
FETCH_TIMEOUT = 5.0
RESOLVE_TIMEOUT = 300.0

Source = Literal["project", "airflow", "as-of-release"]
Report = Callable[[str], None]


class IndexUnreachable(AirhostError):
    """Neither the constraint file nor the package index could be read."""


@dataclass(frozen=True)
class ReleaseConstraints:
    """The pinned versions one Airflow release installs with, and where they came from."""

    version: str
    python: str
    source: Source
    origin: str  # a path, a URL, or the date the index was read as of
    text: str

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()

    def describe(self) -> str:
        if self.source == "project":
            return f"constraints: the project's own file {self.origin}"
        if self.source == "airflow":
            return f"constraints: Airflow {self.version}'s constraint file ({self.origin})"
        return (f"constraints: Airflow's constraint file is out of reach; Airflow {self.version}'s "
                f"dependencies are pinned as PyPI had them on {self.origin} (uv --exclude-newer)")

    def header(self) -> str:
        """Comment lines that say, in a lock file, which constraints produced it."""
        return (f"# {self.describe()}\n# constraints digest: sha256:{self.digest}\n")

    def layered(self, requirements: str) -> str:
        """The constraints without the packages ``requirements`` names: the project's pins win."""
        named = requirement_names(requirements)
        kept = [line for line in self.text.splitlines()
                if not (_name(line) and _name(line) in named)]
        return "\n".join(kept) + "\n"


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _name(line: str) -> str | None:
    match = re.match(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)", line)
    return _normalise(match.group(1)) if match and not line.lstrip().startswith("#") else None


def requirement_names(text: str) -> set[str]:
    """Package names a requirements text names (options, URLs and comments are skipped)."""
    names = set()
    for line in text.splitlines():
        line = line.split(" #", 1)[0].strip()
        if not line or line.startswith(("#", "-")) or "://" in line:
            continue
        name = _name(line)
        if name:
            names.add(name)
    return names


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "airhost" / "constraints"


def _read_url(url: str, timeout: float) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read()


def fetch_airflow_constraints(version: str, python: str, *, timeout: float = FETCH_TIMEOUT,
                              cache: Path | None = None) -> tuple[str, str] | None:
    """(text, URL) of the release's constraint file, from the cache or GitHub; None if out of reach."""
    cache = cache or cache_dir()
    url = CONSTRAINTS_URL.format(version=version, python=python)
    cached = cache / f"airflow-{version}-python{python}.txt"
    if cached.is_file():
        return cached.read_text(), url
    try:
        text = _read_url(url, timeout).decode("utf-8")
    except (urllib.error.URLError, OSError, ValueError, UnicodeDecodeError):
        return None
    if "==" not in text:
        return None
    cache.mkdir(parents=True, exist_ok=True)
    cached.write_text(text)
    return text, url


def release_upload_time(version: str, *, timeout: float = 15.0, cache: Path | None = None) -> str:
    """When Airflow ``version`` was uploaded to PyPI (ISO 8601, UTC), read once and cached."""
    cache = cache or cache_dir()
    cached = cache / f"airflow-{version}-uploaded.txt"
    if cached.is_file():
        return cached.read_text().strip()
    files: list[dict] = []
    problem = ""
    for url in (PYPI_RELEASE_URL.format(version=version), PYPI_PROJECT_URL):
        try:
            body = json.loads(_read_url(url, timeout))
        except (urllib.error.URLError, OSError, ValueError) as error:
            problem = str(error)
            continue
        files = body.get("urls") if url != PYPI_PROJECT_URL else body.get("releases", {}).get(version)
        if files:
            break
        problem = f"PyPI lists no files for apache-airflow {version}"
    times = [f["upload_time_iso_8601"] for f in files or [] if f.get("upload_time_iso_8601")]
    if not times:
        raise IndexUnreachable(
            f"could not reach the package index to read when Airflow {version} was released: "
            f"{problem or 'no upload time'}",
            hint="check the network (PyPI must be reachable), or set airflow.constraints to a "
                 "constraints file of your own")
    uploaded = max(times)
    cache.mkdir(parents=True, exist_ok=True)
    cached.write_text(uploaded)
    return uploaded


def day_after(uploaded: str) -> str:
    """The cut-off date: a day after the upload, so the release's own sibling packages (core,
    task SDK, providers uploaded in the same batch) are inside it."""
    moment = datetime.datetime.fromisoformat(uploaded.replace("Z", "+00:00"))
    return (moment + datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")


def looks_unreachable(output: str) -> bool:
    """True when uv's output says it could not reach the index (not that nothing fits)."""
    return bool(re.search(r"dns error|Could not connect|Failed to fetch|connection (refused|reset)|"
                          r"error sending request|timed out|Network is unreachable", output, re.I))


def compile_as_of(version: str, python: str, extras: list[str], cutoff: str, *,
                  cache: Path | None = None) -> str:
    """Airflow ``version`` with ``extras`` resolved for ``python`` from the index as of ``cutoff``."""
    cache = cache or cache_dir()
    key = hashlib.sha256(json.dumps([version, python, sorted(extras), cutoff]).encode()).hexdigest()
    cached = cache / f"airflow-{version}-python{python}-as-of-{key[:16]}.txt"
    if cached.is_file():
        return cached.read_text()
    requirement = f"apache-airflow[{','.join(sorted(extras))}]=={version}" if extras \
        else f"apache-airflow=={version}"
    with tempfile.TemporaryDirectory(prefix="airhost-constraints-") as folder:
        wanted = Path(folder) / "wanted.txt"
        wanted.write_text(requirement + "\n")
        output = Path(folder) / "constraints.txt"
        try:
            result = subprocess.run(
                [uv_binary(), "pip", "compile", "--quiet", "--no-header", "--no-annotate",
                 "--python-version", python, "--exclude-newer", cutoff,
                 "--output-file", str(output), str(wanted)],
                capture_output=True, text=True, timeout=RESOLVE_TIMEOUT, check=False,
                env=uv_environment())
        except subprocess.TimeoutExpired:
            raise IndexUnreachable(
                f"resolving Airflow {version}'s dependencies as of {cutoff[:10]} did not finish "
                f"within {RESOLVE_TIMEOUT:.0f} s",
                hint="check the network to PyPI and retry, or set airflow.constraints") from None
        detail = (result.stderr or result.stdout).strip()
        if result.returncode != 0:
            if looks_unreachable(detail):
                raise IndexUnreachable(
                    f"could not reach the package index to resolve Airflow {version}: "
                    f"{detail.splitlines()[-1] if detail else 'no output'}",
                    hint="check the network (PyPI must be reachable) and retry")
            raise AirhostError(
                f"Airflow {version} with extras {', '.join(extras) or 'none'} has no set of "
                f"dependencies on Python {python} as of {cutoff[:10]}:\n{detail}",
                hint="remove the extra named above, or set airflow.constraints to a file of your own")
        text = output.read_text()
    cache.mkdir(parents=True, exist_ok=True)
    cached.write_text(text)
    return text


def release_constraints(version: str, python: str, extras: list[str], *,
                        project_file: Path | None = None, report: Report | None = None,
                        cache: Path | None = None) -> ReleaseConstraints:
    """The constraints Airflow ``version`` installs with on ``python``; says which were taken."""
    if project_file is not None:
        if not project_file.is_file():
            raise ConfigError(f"airflow.constraints names {project_file}, which does not exist",
                              hint="create the file or remove airflow.constraints to use "
                                   "Airflow's own constraints")
        found = ReleaseConstraints(version, python, "project", str(project_file),
                                   project_file.read_text(encoding="utf-8"))
    else:
        fetched = fetch_airflow_constraints(version, python, cache=cache)
        if fetched:
            found = ReleaseConstraints(version, python, "airflow", fetched[1], fetched[0])
        else:
            cutoff = day_after(release_upload_time(version, cache=cache))
            found = ReleaseConstraints(version, python, "as-of-release", cutoff[:10],
                                       compile_as_of(version, python, extras, cutoff, cache=cache))
    if report:
        report(found.describe())
    return found
