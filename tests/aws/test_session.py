"""The one place AWS calls go through: retries, and errors a user can act on."""

from __future__ import annotations

import boto3
import pytest

from airhost.aws.errors import AccessDenied, AwsApiError, CredentialsMissing, RegionUnknown
from airhost.aws.session import MAX_ATTEMPTS, AwsSession


def test_throttling_is_retried_with_growing_waits(session, stub, fake_clock):
    ssm = stub("ssm")
    ssm.add_client_error("get_parameter", service_error_code="ThrottlingException")
    ssm.add_client_error("get_parameter", service_error_code="ThrottlingException")
    ssm.add_response("get_parameter", {"Parameter": {"Name": "/x", "Value": "{}"}})

    assert session.call("ssm", "get_parameter", Name="/x")["Parameter"]["Value"] == "{}"
    assert fake_clock.sleeps == [1.0, 2.0]


def test_throttling_that_never_ends_gives_up(session, stub, fake_clock):
    ssm = stub("ssm")
    for _ in range(MAX_ATTEMPTS):
        ssm.add_client_error("get_parameter", service_error_code="Throttling")

    with pytest.raises(AwsApiError) as error:
        session.call("ssm", "get_parameter", Name="/x")
    assert error.value.code == "Throttling"
    assert len(fake_clock.sleeps) == MAX_ATTEMPTS - 1


def test_access_denied_names_the_permission(session, stub):
    stub("ecs").add_client_error("update_service", service_error_code="AccessDeniedException",
                                 service_message="not authorized")

    with pytest.raises(AccessDenied) as error:
        session.call("ecs", "update_service", cluster="c", service="s", desiredCount=1)
    assert "ecs:update_service" in str(error.value)
    assert error.value.exit_code == 4


def test_expired_credentials_say_how_to_refresh_them(session, stub):
    stub("cloudformation").add_client_error("describe_stacks", service_error_code="ExpiredToken",
                                            service_message="The security token has expired")

    with pytest.raises(CredentialsMissing, match="aws sso login"):
        session.call("cloudformation", "describe_stacks", StackName="s")


def test_a_region_aws_does_not_have_is_refused_with_a_suggestion():
    boto = boto3.session.Session(aws_access_key_id="x", aws_secret_access_key="x")
    with pytest.raises(RegionUnknown, match="did you mean eu-central-1"):
        AwsSession("eu-centrl-1", boto_session=boto)
