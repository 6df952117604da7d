"""What a DAG folder holds, and what must change to make a destination match it. Pure."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

# Never shipped: byte code, editor and VCS litter.
IGNORED_PARTS = {"__pycache__", ".git", ".ipynb_checkpoints", ".DS_Store"}
IGNORED_SUFFIXES = (".pyc", ".pyo", ".swp", "~")


def file_digest(path: Path) -> str:
    """MD5 of the content: the ETag S3 gives a single-part upload, so both sides compare."""
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def folder_manifest(folder: Path) -> dict[str, str]:
    """Relative POSIX path → content digest for every file worth shipping under ``folder``."""
    manifest: dict[str, str] = {}
    if not folder.is_dir():
        return manifest
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if not path.is_file() or IGNORED_PARTS & set(relative.parts):
            continue
        if path.name.endswith(IGNORED_SUFFIXES):
            continue
        manifest[relative.as_posix()] = file_digest(path)
    return manifest


@dataclass(frozen=True)
class SyncPlan:
    """Files to upload (new or changed) and to delete, to make a destination equal the source."""

    added: tuple[str, ...]
    changed: tuple[str, ...]
    deleted: tuple[str, ...]
    unchanged: int

    @property
    def uploads(self) -> tuple[str, ...]:
        return self.added + self.changed

    @property
    def empty(self) -> bool:
        return not (self.added or self.changed or self.deleted)

    def as_dict(self) -> dict[str, object]:
        return {"added": list(self.added), "changed": list(self.changed),
                "deleted": list(self.deleted), "unchanged": self.unchanged}


def plan_sync(source: dict[str, str], destination: dict[str, str]) -> SyncPlan:
    added = tuple(sorted(set(source) - set(destination)))
    deleted = tuple(sorted(set(destination) - set(source)))
    common = set(source) & set(destination)
    changed = tuple(sorted(name for name in common if source[name] != destination[name]))
    return SyncPlan(added, changed, deleted, len(common) - len(changed))
