"""ECR: a registry login for the Docker client, and the digest of a pushed tag."""

from __future__ import annotations

import base64
from dataclasses import dataclass

from airhost.aws.session import AwsSession


@dataclass(frozen=True)
class RegistryLogin:
    registry: str  # host name, e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com
    username: str
    password: str  # short-lived (12 h); handed to `docker login --password-stdin`, never printed


class Ecr:
    def __init__(self, session: AwsSession) -> None:
        self.session = session

    def login(self) -> RegistryLogin:
        data = self.session.call("ecr", "get_authorization_token")["authorizationData"][0]
        username, _, password = base64.b64decode(data["authorizationToken"]).decode().partition(":")
        registry = data["proxyEndpoint"].removeprefix("https://").removeprefix("http://").rstrip("/")
        return RegistryLogin(registry, username, password)

    def digest(self, repository: str, tag: str) -> str | None:
        """The image digest (sha256:...) of ``repository:tag``, or None when it is not there."""
        from airhost.aws.errors import AwsApiError

        try:
            found = self.session.call("ecr", "describe_images", repositoryName=repository,
                                      imageIds=[{"imageTag": tag}])
        except AwsApiError as error:
            if error.code in ("ImageNotFoundException", "RepositoryNotFoundException"):
                return None
            raise
        details = found.get("imageDetails") or []
        return details[0].get("imageDigest") if details else None
