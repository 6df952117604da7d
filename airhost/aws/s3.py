"""S3: a DAG bundle's objects (list with digests, upload, delete), removing a bucket whole, and
reading objects (at a given version) and the keys below a prefix, as an import from MWAA does."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

from airhost.aws.errors import AccessDenied, AwsApiError, ObjectUnreadable
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

    def upload(self, bucket: str, key: str, path: Path) -> None:
        """A file of any size (a wheel of hundreds of MB): S3's managed, multi-part transfer."""
        import boto3.exceptions

        try:
            self.session.call("s3", "upload_file", Filename=str(path), Bucket=bucket, Key=key)
        except boto3.exceptions.S3UploadFailedError as error:
            raise AwsApiError(f"uploading {path.name} to s3://{bucket}/{key} failed: {error}",
                              code="UploadFailed", operation="upload_file",
                              hint="check the network and s3:PutObject on the bucket, then "
                                   "run the command again") from None

    def delete_key(self, bucket: str, key: str) -> None:
        self.session.call("s3", "delete_object", Bucket=bucket, Key=key)

    def read(self, bucket: str, key: str, version_id: str | None = None) -> bytes:
        """The content of ``s3://bucket/key``, at ``version_id`` when given."""
        where = f"s3://{bucket}/{key}" + (f" (version {version_id})" if version_id else "")
        extra = {"VersionId": version_id} if version_id else {}
        try:
            response = self.session.call("s3", "get_object", Bucket=bucket, Key=key, **extra)
            return response["Body"].read()
        except AccessDenied as error:
            raise ObjectUnreadable(f"cannot read {where}: access denied",
                                   hint="grant s3:GetObject and s3:GetObjectVersion on the bucket to "
                                        "the role or user airhost runs as") from error
        except AwsApiError as error:
            raise ObjectUnreadable(f"cannot read {where}: {_reason(error)}",
                                   hint="check the bucket, the key and the version") from error

    def keys(self, bucket: str, prefix: str) -> Iterator[str]:
        """Every object key below ``prefix`` (folders' placeholder keys left out)."""
        base = f"{prefix.strip('/')}/" if prefix.strip("/") else ""
        try:
            for item in self.session.pages("s3", "list_objects_v2", "Contents", Bucket=bucket, Prefix=base):
                if not item["Key"].endswith("/"):
                    yield item["Key"]
        except AccessDenied as error:
            raise ObjectUnreadable(f"cannot list s3://{bucket}/{base}: access denied",
                                   hint="grant s3:ListBucket on the bucket to the role or user airhost "
                                        "runs as") from error
        except AwsApiError as error:
            raise ObjectUnreadable(f"cannot list s3://{bucket}/{base}: {_reason(error)}",
                                   hint="check the bucket name and that it is in this region") from error


def _reason(error: AwsApiError) -> str:
    return {"NoSuchBucket": "the bucket does not exist", "NoSuchKey": "no such object",
            "NoSuchVersion": "that version of the object does not exist",
            "InvalidArgument": "that version id is not valid for the object",
            "403": "access denied", "404": "not found"}.get(error.code, str(error))
