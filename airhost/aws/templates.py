"""Templates as CloudFormation receives them: compact, inline when they fit, through S3 otherwise.

CloudFormation takes at most 51,200 bytes inline (``TemplateBody``) and 1,000,000 bytes from S3
(``TemplateURL``). Every template is sent as compact JSON; a larger one is uploaded to airhost's
own bucket for the account and region (``airhost-templates-<account>-<region>``), created on
first need the way SAM's and CDK's managed buckets are: objects encrypted, every public access
blocked, TLS required by the bucket policy, objects owned by the bucket owner, and a lifecycle
rule that deletes uploads after a week (CloudFormation keeps its own copy of a deployed
template). A bucket of the account rather than one of the environment: the network and data
stacks are deployed before any bucket of the environment exists, and destroying an environment
must not depend on a bucket it is about to delete.
"""

from __future__ import annotations

import hashlib
import json
from functools import cached_property
from typing import Any

from airhost.aws.errors import AwsApiError, AwsError
from airhost.aws.session import AwsSession

TEMPLATE_BODY_LIMIT = 51_200
TEMPLATE_URL_LIMIT = 1_000_000
KEEP_DAYS = 7


class TemplateTooLarge(AwsError):
    """A rendered template is over CloudFormation's 1,000,000-byte limit, even through S3."""

    exit_code = 2


def template_body(template: dict[str, Any]) -> str:
    """The template as CloudFormation should receive it: compact JSON, same bytes for the same input."""
    return json.dumps(template, separators=(",", ":"))


def fits_inline(body: str) -> bool:
    return len(body.encode("utf-8")) <= TEMPLATE_BODY_LIMIT


class TemplateStore:
    """airhost's bucket for templates too large to send inline, in one account and region."""

    def __init__(self, session: AwsSession) -> None:
        self.session = session

    @cached_property
    def bucket(self) -> str:
        account = self.session.call("sts", "get_caller_identity")["Account"]
        return f"airhost-templates-{account}-{self.session.region}"

    def source(self, stack: str, template: dict[str, Any]) -> dict[str, str]:
        """``TemplateBody`` or ``TemplateURL`` for a create/update call, whichever the size allows."""
        body = template_body(template)
        size = len(body.encode("utf-8"))
        if size > TEMPLATE_URL_LIMIT:
            raise TemplateTooLarge(
                f"the template of stack {stack} is {size:,} bytes: CloudFormation takes at most "
                f"{TEMPLATE_URL_LIMIT:,}, even from S3",
                hint="split the environment (fewer worker queues per environment)")
        if size <= TEMPLATE_BODY_LIMIT:
            return {"TemplateBody": body}
        return {"TemplateURL": self.upload(stack, body)}

    def upload(self, stack: str, body: str) -> str:
        self.ensure_bucket()
        key = f"{stack}/{hashlib.sha256(body.encode('utf-8')).hexdigest()[:20]}.json"
        self.session.call("s3", "put_object", Bucket=self.bucket, Key=key,
                          Body=body.encode("utf-8"), ContentType="application/json")
        region = self.session.region
        suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
        return f"https://{self.bucket}.s3.{region}.{suffix}/{key}"

    def ensure_bucket(self) -> None:
        try:
            self.session.call("s3", "head_bucket", Bucket=self.bucket)
            return
        except AwsApiError as error:
            if error.code not in ("404", "NoSuchBucket", "NotFound"):
                raise
        create: dict[str, Any] = {"Bucket": self.bucket, "ObjectOwnership": "BucketOwnerEnforced"}
        if self.session.region != "us-east-1":
            create["CreateBucketConfiguration"] = {"LocationConstraint": self.session.region}
        self.session.call("s3", "create_bucket", **create)
        self.session.call("s3", "put_public_access_block", Bucket=self.bucket,
                          PublicAccessBlockConfiguration={
                              "BlockPublicAcls": True, "IgnorePublicAcls": True,
                              "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
        self.session.call("s3", "put_bucket_encryption", Bucket=self.bucket,
                          ServerSideEncryptionConfiguration={"Rules": [{
                              "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
                              "BucketKeyEnabled": True}]})
        self.session.call("s3", "put_bucket_policy", Bucket=self.bucket, Policy=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Sid": "TlsOnly", "Effect": "Deny", "Principal": "*",
                           "Action": "s3:*",
                           "Resource": [f"arn:aws:s3:::{self.bucket}",
                                        f"arn:aws:s3:::{self.bucket}/*"],
                           "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}))
        self.session.call("s3", "put_bucket_lifecycle_configuration", Bucket=self.bucket,
                          LifecycleConfiguration={"Rules": [{
                              "ID": "expire-uploaded-templates", "Status": "Enabled",
                              "Filter": {"Prefix": ""}, "Expiration": {"Days": KEEP_DAYS},
                              "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}}]})
        self.session.call("s3", "put_bucket_tagging", Bucket=self.bucket, Tagging={"TagSet": [
            {"Key": "airhost:purpose", "Value": "CloudFormation templates over 51,200 bytes"}]})
