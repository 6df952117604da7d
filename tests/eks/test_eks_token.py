"""The EKS token is what `aws eks get-token` makes: a presigned STS GetCallerIdentity URL that
signs the cluster's name as a header, base64url behind ``k8s-aws-v1.``; no network needed."""

from __future__ import annotations

import base64
import urllib.parse
from datetime import datetime, timedelta, timezone

from airhost.aws.eks import Eks, principal_arn
from airhost.aws.session import AwsSession, Clock


def test_the_token_presigns_get_caller_identity_with_the_cluster_header(monkeypatch):
    for name, value in (("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"), ("AWS_SECRET_ACCESS_KEY", "secret"),
                        ("AWS_ENDPOINT_URL", "")):
        monkeypatch.setenv(name, value) if value else monkeypatch.delenv(name, raising=False)
    now = datetime(2026, 5, 1, 12, 0, tzinfo=timezone.utc)
    eks = Eks(AwsSession("eu-west-1", clock=Clock(utcnow=lambda: now)))
    token = eks.token("shop-prod")
    assert token.token.startswith("k8s-aws-v1.") and "=" not in token.token
    encoded = token.token.removeprefix("k8s-aws-v1.")
    url = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qs(parts.query)
    assert parts.scheme == "https" and parts.hostname == "sts.eu-west-1.amazonaws.com"
    assert query["Action"] == ["GetCallerIdentity"] and query["Version"] == ["2011-06-15"]
    assert "x-k8s-aws-id" in query["X-Amz-SignedHeaders"][0].split(";")
    assert query["X-Amz-Expires"] == ["60"] and "X-Amz-Signature" in query
    assert "K8sAwsId" not in parts.query and "shop-prod" not in parts.query  # a header, not a parameter
    assert token.expires_at == now + timedelta(minutes=14)


def test_an_assumed_role_session_is_named_by_its_role():
    assert principal_arn("arn:aws:sts::123456789012:assumed-role/Deployer/ci-42") == \
        "arn:aws:iam::123456789012:role/Deployer"
    assert principal_arn("arn:aws:iam::123456789012:user/alice") == \
        "arn:aws:iam::123456789012:user/alice"
