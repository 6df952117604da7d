"""S3: a DAG bundle's objects (list with digests, upload, delete), and removing a bucket whole."""

from __future__ import annotations

from pathlib import Path

from airhost.aws.errors import AwsApiError
from airhost.aws.session import AwsSession


class Buckets:
    def __init__(self, session: AwsSession) -> None:
        self.session = session

    def delete(self, bucket: str) -> int:
        """Delete every object version and the bucket; the number of objects removed."""
        removed = 0
        try:
            batch: list[dict[str, str]] = []
            for key in ("Versions", "DeleteMarkers"):
                for item in self.session.pages("s3", "list_object_versions", key, Bucket=bucket):
                    batch.append({"Key": item["Key"], "VersionId": item.get("VersionId") or "null"})
            for start in range(0, len(batch), 1000):
                chunk = batch[start:start + 1000]
                self.session.call("s3", "delete_objects", Bucket=bucket,
                                  Delete={"Objects": chunk, "Quiet": True})
                removed += len(chunk)
            self.session.call("s3", "delete_bucket", Bucket=bucket)
        except AwsApiError as error:
            if error.code != "NoSuchBucket":
                raise
        return removed

    def exists(self, bucket: str) -> bool:
        try:
            self.session.call("s3", "head_bucket", Bucket=bucket)
        except AwsApiError as error:
            if error.code in ("404", "NoSuchBucket", "NotFound"):
                return False
            raise
        return True

    def digests(self, bucket: str, prefix: str) -> dict[str, str]:
        """Key below ``prefix`` → MD5 of its content (the ETag of a single-part upload)."""
        base = f"{prefix.strip('/')}/" if prefix.strip("/") else ""
        found: dict[str, str] = {}
        for item in self.session.pages("s3", "list_objects_v2", "Contents", Bucket=bucket, Prefix=base):
            relative = item["Key"][len(base):]
            if relative and not relative.endswith("/"):
                found[relative] = item.get("ETag", "").strip('"')
        return found

    def put_file(self, bucket: str, key: str, path: Path) -> None:
        # Single-part upload of a DAG file, so the ETag stays the content's MD5 for the next diff.
        self.session.call("s3", "put_object", Bucket=bucket, Key=key, Body=path.read_bytes())

    def delete_key(self, bucket: str, key: str) -> None:
        self.session.call("s3", "delete_object", Bucket=bucket, Key=key)
