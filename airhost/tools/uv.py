"""The uv installer: where its binary is, and the environment it runs in.

airhost depends on the ``uv`` wheel, so the binary is normally beside airhost's own Python; a uv on
PATH is the fallback. uv never downloads a Python of its own here: the local target uses the
machine's interpreters, and a surprise download would make two machines disagree.
"""

from __future__ import annotations

import os
import shutil

from airhost.errors import LocalError


def uv_binary() -> str:
    try:
        from uv import find_uv_bin

        return find_uv_bin()
    except (ImportError, FileNotFoundError):
        found = shutil.which("uv")
        if found:
            return found
    raise LocalError(
        "cannot run the 'uv' installer: it is missing",
        hint="reinstall airhost (pip install airhost) so its dependencies are present",
    )


def uv_environment(**extra: str) -> dict[str, str]:
    """The process environment uv runs with."""
    environment = {**os.environ, "UV_PYTHON_DOWNLOADS": "never", **extra}
    environment.pop("PYTHONPATH", None)
    return environment
