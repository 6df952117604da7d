"""Shared pieces of the config model: strictness, AWS-safe names, CIDR and ARN checks."""

from __future__ import annotations

import ipaddress
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict

Target = Literal["local", "ecs", "eks", "ec2"]
Executor = Literal["local", "celery", "ecs", "kubernetes"]
CLOUD_TARGETS = ("ecs", "eks", "ec2")

# Names end up in stack names, bucket names and DNS labels: lowercase, digits and hyphens.
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9-]*[a-z0-9]$")
REGION_PATTERN = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$")
ARN_PATTERN = re.compile(r"^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:\d{0,12}:.+$")

# Settings airhost owns because they carry secrets or tie components together.
RESERVED_AIRFLOW_SETTINGS = {
    ("database", "sql_alchemy_conn"): "airhost generates the database credentials",
    ("core", "fernet_key"): "airhost generates the Fernet key",
    ("api_auth", "jwt_secret"): "airhost generates the JWT secret",
    ("api_auth", "jwt_private_key_path"): "airhost generates the JWT signing key",
    ("api", "secret_key"): "airhost generates the API secret key",
    ("celery", "broker_url"): "airhost wires the Celery broker",
    ("celery", "result_backend"): "airhost uses the metadata database as result backend",
    ("core", "executor"): "set airflow.executor instead",
    ("core", "dags_folder"): "set dags.folder instead",
    ("core", "auth_manager"): "set airflow.auth_manager instead",
}

Scalar = str | int | float | bool


class StrictModel(BaseModel):
    """Unknown keys are errors; values are immutable once loaded."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_name(value: str, what: str, max_length: int) -> str:
    if not NAME_PATTERN.match(value) or "--" in value or len(value) > max_length:
        raise ValueError(
            f"{what} '{value}' cannot be used in AWS resource names: use 2 to {max_length} "
            "lowercase letters, digits and single hyphens, starting with a letter"
        )
    return value


def _check_cidr(value: str) -> str:
    try:
        ipaddress.ip_network(value, strict=True)
    except ValueError as error:
        raise ValueError(f"'{value}' is not a CIDR block like 203.0.113.0/24 ({error})") from None
    return value


