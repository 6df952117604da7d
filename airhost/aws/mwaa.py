"""Amazon MWAA: an environment's settings as ``GetEnvironment`` tells them, for ``airhost import mwaa``."""

from __future__ import annotations

from typing import Any

from airhost.aws.errors import AccessDenied, AwsApiError, EnvironmentNotFound
from airhost.aws.session import AwsSession


class MwaaEnvironments:
    def __init__(self, session: AwsSession) -> None:
        self.session = session

    def get(self, name: str) -> dict[str, Any]:
        """The environment named ``name``: GetEnvironment's ``Environment`` structure."""
        region = self.session.region
        try:
            return self.session.call("mwaa", "get_environment", Name=name)["Environment"]
        except AccessDenied as error:
            raise AccessDenied(
                f"cannot read MWAA environment '{name}' in {region}: not allowed to call "
                "airflow:GetEnvironment",
                hint="grant airflow:GetEnvironment on it to the role or user airhost runs as",
            ) from error
        except AwsApiError as error:
            if error.code == "ResourceNotFoundException":
                raise EnvironmentNotFound(
                    f"no MWAA environment named '{name}' in {region}: MWAA does not know it there",
                    hint="check the name ('aws mwaa list-environments') and pass --region if it lives "
                         "in another region",
                ) from error
            if error.code == "ValidationException":
                raise EnvironmentNotFound(
                    f"'{name}' is not an MWAA environment name: {error}",
                    hint="MWAA names start with a letter and hold letters, digits, - and _",
                ) from error
            raise


def subnets_vpc(session: AwsSession, subnet_ids: list[str]) -> str:
    """The VPC the given subnets belong to (MWAA names only the subnets)."""
    found = session.call("ec2", "describe_subnets", SubnetIds=subnet_ids).get("Subnets", [])
    vpcs = sorted({subnet["VpcId"] for subnet in found})
    if len(vpcs) != 1:
        raise AwsApiError(f"the subnets {', '.join(subnet_ids)} are in {len(vpcs)} VPCs, not one",
                          code="SubnetsSpanVpcs", operation="describe_subnets",
                          hint="check the MWAA environment's network configuration")
    return vpcs[0]
