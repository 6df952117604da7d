"""Which files a push must import to know what Airflow will report. Pure but for reading the folder.

Airflow re-parses a file when it changes; an unchanged file gives the same result as before unless a
module it imports changed. So a push that uploads only DAG files nobody imports needs those files
checked, not the folder: a one-file push costs the same in a folder of a hundred. Anything else —
a deletion, a file that is not Python (``.airflowignore``, SQL or YAML a DAG reads), a module another
file imports — can change what other files give, and the whole folder is checked.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

from airhost.dags.manifest import SyncPlan, folder_manifest

_IMPORT = re.compile(r"^[ \t]*(?:from[ \t]+([\w.]+)[ \t]+)?import[ \t]+\(?([\w., \t]+)", re.MULTILINE)


def imported_names(text: str) -> set[str]:
    """Every dotted part of every module an import statement names (``a.b`` gives ``a`` and ``b``),
    and the names a ``from`` import takes (``from . import util`` imports the module ``util``)."""
    names: set[str] = set()
    for module, imported in _IMPORT.findall(text):
        for dotted in [module, *imported.split(",")]:
            dotted = dotted.strip().split(" as ")[0].strip()
            names.update(part for part in dotted.split(".") if part)
    return names


def module_name(relative: str) -> str:
    """The name a file is imported by: its stem, or its package's for ``__init__.py``."""
    path = PurePosixPath(relative)
    return path.parent.name if path.name == "__init__.py" else path.stem


def files_to_check(source: Path, plan: SyncPlan) -> list[str] | None:
    """The uploaded files, when checking them alone tells the whole story; None: check everything."""
    if plan.empty or plan.deleted:
        return None
    uploads = list(plan.uploads)
    if any(not name.endswith(".py") for name in uploads):
        return None
    wanted = {module_name(name) for name in uploads}
    for other in folder_manifest(source):
        if other in uploads or not other.endswith(".py"):
            continue
        text = (source / other).read_text(encoding="utf-8", errors="replace")
        if wanted & imported_names(text):
            return None
    return sorted(uploads)
