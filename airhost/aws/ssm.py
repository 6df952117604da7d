"""SSM Parameter Store: small JSON records airhost keeps beside the stacks (the release, parking)."""

from __future__ import annotations

import json
from typing import Any

from airhost.aws.errors import AwsApiError
from airhost.aws.session import AwsSession


class Parameters:
    def __init__(self, session: AwsSession) -> None:
        self.session = session

    def put_json(self, name: str, value: dict[str, Any], *, description: str = "") -> int:
        """Store ``value``; SSM keeps earlier versions as history. Returns the new version."""
        response = self.session.call(
            "ssm", "put_parameter", Name=name, Value=json.dumps(value, sort_keys=True, default=str),
            Type="String", Overwrite=True, Description=description[:1024],
        )
        return int(response.get("Version", 0))

    def get_json(self, name: str) -> dict[str, Any] | None:
        try:
            response = self.session.call("ssm", "get_parameter", Name=name)
        except AwsApiError as error:
            if error.code == "ParameterNotFound":
                return None
            raise
        try:
            return json.loads(response["Parameter"]["Value"])
        except ValueError:
            return None

    def delete(self, name: str) -> None:
        try:
            self.session.call("ssm", "delete_parameter", Name=name)
        except AwsApiError as error:
            if error.code != "ParameterNotFound":
                raise
