"""S3: empty and remove a bucket, every object version included (destroy --delete-data)."""

from __future__ import annotations

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
