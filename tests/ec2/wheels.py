"""A package index in a folder: tiny wheels tagged for a platform, and source-only packages.

pip reads it through its own configuration (``PIP_NO_INDEX`` and ``PIP_FIND_LINKS``), as it would
read a company's mirror: the wheelhouse is then built for real, in a second, from a lock of a few
packages instead of Airflow's hundreds of megabytes.
"""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path

import pytest


def platform_wheel(folder: Path, name: str, version: str, tag: str = "py3-none-any",
                   requires: list[str] | None = None, extras: list[str] | None = None) -> Path:
    """A wheel of ``name`` whose module says its version and the wheel's tag."""
    module = name.replace("-", "_")
    dist = f"{module}-{version}"
    files = {f"{module}.py": f"VERSION = {version!r}\nTAG = {tag!r}\n"}
    metadata = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}",
                *(f"Provides-Extra: {extra}" for extra in extras or []),
                *(f"Requires-Dist: {requirement}" for requirement in requires or [])]
    files[f"{dist}.dist-info/METADATA"] = "\n".join(metadata) + "\n"
    pure = tag.endswith("-none-any")
    files[f"{dist}.dist-info/WHEEL"] = (f"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: "
                                        f"{'true' if pure else 'false'}\nTag: {tag}\n")
    files[f"{dist}.dist-info/RECORD"] = "".join(f"{path},,\n" for path in files) + \
        f"{dist}.dist-info/RECORD,,\n"
    path = folder / f"{dist}-{tag}.whl"
    with zipfile.ZipFile(path, "w") as archive:
        for member, text in files.items():
            archive.writestr(member, text)
    return path


def source_only(folder: Path, name: str, version: str) -> Path:
    """A package published as a source distribution alone."""
    path = folder / f"{name}-{version}.tar.gz"
    content = f'[project]\nname = "{name}"\nversion = "{version}"\n'.encode()
    with tarfile.open(path, "w:gz") as archive:
        info = tarfile.TarInfo(f"{name}-{version}/pyproject.toml")
        info.size = len(content)
        archive.addfile(info, io.BytesIO(content))
    return path


def native(version: str, python: str, machine: str) -> str:
    """The tag of a compiled CPython wheel for manylinux2014 on ``machine``."""
    cp = "cp" + python.replace(".", "")
    return f"{cp}-{cp}-manylinux_2_17_{machine}.manylinux2014_{machine}"


@pytest.fixture
def package_index(tmp_path, monkeypatch) -> Path:
    """A folder pip takes as its only index, and a cache of the machine's own left untouched."""
    folder = tmp_path / "index"
    folder.mkdir()
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(folder))
    monkeypatch.setenv("PIP_NO_CACHE_DIR", "1")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return folder
