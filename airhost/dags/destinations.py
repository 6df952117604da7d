"""Where pushed DAGs go: a published folder (local target) or an S3 prefix (cloud DAG bundle)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Protocol

from airhost.dags.manifest import folder_manifest


class Destination(Protocol):
    """A DAG bundle's storage: list what is there, put a file, remove a file."""

    description: str

    def manifest(self) -> dict[str, str]: ...

    def upload(self, relative: str, source: Path) -> None: ...

    def delete(self, relative: str) -> None: ...


class FolderDestination:
    """The local bundle folder Airflow reads; files replaced atomically so no half file is parsed."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.description = str(folder)

    def manifest(self) -> dict[str, str]:
        return folder_manifest(self.folder)

    def upload(self, relative: str, source: Path) -> None:
        target = self.folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=".airhost-")
        os.close(descriptor)
        shutil.copyfile(source, temporary)
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)

    def delete(self, relative: str) -> None:
        target = self.folder / relative
        target.unlink(missing_ok=True)
        parent = target.parent
        while parent != self.folder and parent.is_dir() and not any(parent.iterdir()):
            parent.rmdir()
            parent = parent.parent


class BucketDestination:
    """A DAG bundle in S3: ``prefix/relative/path`` keys in ``bucket``, compared by MD5."""

    def __init__(self, buckets, bucket: str, prefix: str) -> None:
        self.buckets = buckets  # airhost.aws.s3.Buckets
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.description = f"s3://{bucket}/{self.prefix}" if self.prefix else f"s3://{bucket}"

    def _key(self, relative: str) -> str:
        return f"{self.prefix}/{relative}" if self.prefix else relative

    def manifest(self) -> dict[str, str]:
        return self.buckets.digests(self.bucket, self.prefix)

    def upload(self, relative: str, source: Path) -> None:
        self.buckets.put_file(self.bucket, self._key(relative), source)

    def delete(self, relative: str) -> None:
        self.buckets.delete_key(self.bucket, self._key(relative))
