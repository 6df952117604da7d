"""Is the metadata database already at the installed Airflow's schema? Read, not migrated, to know.

``airflow db migrate`` on a database that is already current still costs a full Airflow start (several
seconds of CPU) on every ``up``. The installed Airflow's target revision is in its migration scripts
(each names its ``revision`` and ``down_revision``; the head is the one no other script builds on),
and the database's is in its alembic version table: comparing the two answers without importing
Airflow. Providers may ship migrations of their own (FAB keeps ``alembic_version_fab``); each one
airhost knows is compared the same way, and an unknown one means "migrate", never a guess.
"""

from __future__ import annotations

import ast
import glob
import re
from pathlib import Path

# Provider migration trees and the version table each records its revision in.
PROVIDER_VERSION_TABLES = {"fab": "alembic_version_fab"}
CORE_VERSION_TABLE = "alembic_version"


_ASSIGNMENT = re.compile(r"^(revision|down_revision)\s*(?::[^=]*)?=\s*(.+)$", re.MULTILINE)


def script_revisions(text: str) -> tuple[str | None, tuple[str, ...]]:
    """``revision`` and ``down_revision`` (one, several for a merge, or none) of one script."""
    revision: str | None = None
    down: tuple[str, ...] = ()
    for name, expression in _ASSIGNMENT.findall(text):
        try:
            value = ast.literal_eval(expression.strip())
        except (ValueError, SyntaxError):
            continue
        if name == "revision" and isinstance(value, str):
            revision = value
        elif name == "down_revision":
            if isinstance(value, str):
                down = (value,)
            elif isinstance(value, (tuple, list)):
                down = tuple(str(item) for item in value)
    return revision, down


def migration_head(versions: Path) -> str | None:
    """The single head revision of a folder of migration scripts; None when there is not exactly one."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in versions.glob("*.py"):
        revision, down = script_revisions(script.read_text(encoding="utf-8", errors="replace"))
        if revision:
            revisions.add(revision)
            parents.update(down)
    heads = revisions - parents
    return next(iter(heads)) if len(heads) == 1 else None


def installed_heads(venv: Path) -> dict[str, str] | None:
    """Version table → head revision for every migration tree the virtualenv's Airflow runs.

    None when it cannot be told for certain (no Airflow found, several heads, a provider with
    migrations airhost does not know): the caller then migrates.
    """
    packages = sorted(glob.glob(str(venv / "lib" / "python*" / "site-packages" / "airflow")))
    if len(packages) != 1:
        return None
    airflow = Path(packages[0])
    core = migration_head(airflow / "migrations" / "versions")
    if core is None:
        return None
    heads = {CORE_VERSION_TABLE: core}
    for versions in sorted((airflow / "providers").glob("**/migrations/versions")):
        provider = versions.parent.parent.relative_to(airflow / "providers").as_posix()
        table = PROVIDER_VERSION_TABLES.get(provider)
        head = migration_head(versions)
        if table is None or head is None:
            return None
        heads[table] = head
    return heads


def existing_tables_query(tables: list[str]) -> str:
    """SQL printing which of the version tables exist."""
    names = ", ".join(f"'{table}'" for table in tables)
    return f"SELECT table_name FROM information_schema.tables WHERE table_name IN ({names})"


def revisions_query(tables: list[str]) -> str:
    """One SQL statement printing ``table|revision`` for each of the (existing) version tables."""
    return " UNION ALL ".join(f"SELECT '{table}', version_num FROM {table}" for table in tables)


def parse_revisions(output: str) -> dict[str, str]:
    """``table|revision`` lines (psql -tA) to a mapping; several rows of one table count as none."""
    seen: dict[str, list[str]] = {}
    for line in output.splitlines():
        table, _, revision = line.partition("|")
        if table and revision:
            seen.setdefault(table, []).append(revision)
    return {table: revisions[0] for table, revisions in seen.items() if len(revisions) == 1}


def pending_tables(heads: dict[str, str], present: dict[str, str]) -> list[str]:
    """Version tables whose recorded revision is not the installed head (missing counts)."""
    return sorted(table for table, head in heads.items() if present.get(table) != head)
