"""EKS: where a cluster's Kubernetes API is, and a token it accepts, as ``aws eks get-token`` makes it.

The token is a presigned STS ``GetCallerIdentity`` request whose signature covers the header
``x-k8s-aws-id: <cluster>``; the API server's authenticator replays it to STS to learn who is
calling, then maps that identity through the cluster's access entries. The presigned URL is
base64url-encoded (no padding) behind ``k8s-aws-v1.``. Nothing is stored: the token is valid for
fifteen minutes, so a long run asks for a new one (``ClusterToken.expires_at``).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from airhost.aws.errors import AwsApiError, NotDeployed
from airhost.aws.session import AwsSession

TOKEN_PREFIX = "k8s-aws-v1."
CLUSTER_HEADER = "x-k8s-aws-id"
# The presigned URL's own lifetime is 60 s (AWS's authenticator accepts it for 15 minutes after
# signing); airhost renews a token after 14 minutes, as the aws CLI's expirationTimestamp says.
PRESIGN_SECONDS = 60
TOKEN_LIFETIME = timedelta(minutes=14)


@dataclass(frozen=True)
class Cluster:
    """What DescribeCluster says about a cluster's Kubernetes API."""

    name: str
    arn: str
    endpoint: str
    certificate_authority: str  # base64 PEM, as the API gives it
    status: str
    version: str

    @property
    def ca_pem(self) -> bytes:
        return base64.b64decode(self.certificate_authority)


@dataclass(frozen=True)
class ClusterToken:
    token: str
    expires_at: datetime


class Eks:
    def __init__(self, session: AwsSession) -> None:
        self.session = session

    def describe_cluster(self, name: str) -> Cluster:
        try:
            data = self.session.call("eks", "describe_cluster", name=name)["cluster"]
        except AwsApiError as error:
            if error.code == "ResourceNotFoundException":
                raise NotDeployed(f"EKS cluster {name} does not exist in {self.session.region}",
                                  hint="deploy the environment, or check eks.cluster and the region"
                                  ) from None
            raise
        return Cluster(name=data["name"], arn=data.get("arn", ""), endpoint=data.get("endpoint", ""),
                       certificate_authority=data.get("certificateAuthority", {}).get("data", ""),
                       status=data.get("status", ""), version=data.get("version", ""))

    def token(self, cluster: str) -> ClusterToken:
        """A bearer token for ``cluster``'s API server, from the caller's AWS identity."""
        sts = self.session.client("sts")
        # The extra parameter carries the cluster name from the call to the signer, which puts
        # it in a signed header; it is never sent as a query parameter.
        def remember(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
            if "K8sAwsId" in params:
                context["k8s_aws_id"] = params.pop("K8sAwsId")

        def sign_header(request: Any, **_: Any) -> None:
            if "k8s_aws_id" in request.context:
                request.headers[CLUSTER_HEADER] = request.context["k8s_aws_id"]

        events = sts.meta.events
        events.register("provide-client-params.sts.GetCallerIdentity", remember,
                        unique_id="airhost-k8s-aws-id-param")
        events.register("before-sign.sts.GetCallerIdentity", sign_header,
                        unique_id="airhost-k8s-aws-id-header")
        url = self.session._attempt(  # noqa: SLF001 - the session's retries and error translation
            lambda: sts.generate_presigned_url(
                "get_caller_identity", Params={"K8sAwsId": cluster}, ExpiresIn=PRESIGN_SECONDS,
                HttpMethod="GET"), "sts", "GetCallerIdentity")
        encoded = base64.urlsafe_b64encode(url.encode()).decode().rstrip("=")
        return ClusterToken(TOKEN_PREFIX + encoded, self.session.clock.utcnow() + TOKEN_LIFETIME)


def caller_arn(session: AwsSession) -> str:
    """The IAM principal (role or user) behind the caller's credentials."""
    return principal_arn(session.call("sts", "get_caller_identity")["Arn"])


def principal_arn(arn: str) -> str:
    """What an access entry names for a caller: an assumed-role session
    (``arn:aws:sts::123:assumed-role/Name/session``) is its role ``arn:aws:iam::123:role/Name``."""
    parts = arn.split(":", 5)
    partition, account, resource = parts[1], parts[4], parts[5]
    if parts[2] == "sts" and resource.startswith("assumed-role/"):
        return f"arn:{partition}:iam::{account}:role/{resource.split('/')[1]}"
    return arn
