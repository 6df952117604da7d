"""Secrets Manager: read a generated secret when the user asks to see it."""

from __future__ import annotations

import json
from typing import Any

from airhost.aws.errors import AwsApiError, AwsError
from airhost.aws.session import AwsSession


class Secrets:
    def __init__(self, session: AwsSession) -> None:
        self.session = session

    def get_json(self, secret_id: str) -> dict[str, Any]:
        try:
            value = self.session.call("secretsmanager", "get_secret_value",
                                      SecretId=secret_id)["SecretString"]
        except AwsApiError as error:
            if error.code == "ResourceNotFoundException":
                raise AwsError(f"secret {secret_id} does not exist",
                               hint="deploy the environment again to recreate it") from None
            raise
        try:
            data = json.loads(value)
        except ValueError:
            return {"value": value}
        return data if isinstance(data, dict) else {"value": value}
