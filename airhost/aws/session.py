"""One place for every AWS call: the session, the clients, retries and error translation.

boto3 finds credentials, the profile and the endpoint the standard way (``AWS_PROFILE``,
``AWS_ENDPOINT_URL``, ~/.aws, instance roles); airhost only supplies the environment's region.
Every facade calls AWS through ``AwsSession.call`` or ``AwsSession.pages``: throttling and transient
failures are retried here, with the ``Clock``'s sleep, and every botocore exception becomes an
``airhost.aws.errors`` error.
"""

from __future__ import annotations

import difflib
import os
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Iterator

import boto3
import botocore.exceptions
from botocore.parsers import ResponseParserError
from botocore.config import Config

from airhost import __version__
from airhost.aws.errors import (
    AccessDenied, AwsApiError, AwsError, CredentialsMissing, EndpointUnreachable, RegionUnknown,
)

THROTTLING_CODES = {
    "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
    "TooManyRequestsException", "ProvisionedThroughputExceededException", "RequestLimitExceeded",
    "RequestThrottled", "SlowDown", "PriorRequestNotComplete", "LimitExceededException",
}
TRANSIENT_CODES = {"InternalError", "InternalFailure", "ServiceUnavailable", "RequestTimeout"}
CREDENTIAL_CODES = {
    "ExpiredToken", "ExpiredTokenException", "InvalidClientTokenId", "UnrecognizedClientException",
    "SignatureDoesNotMatch", "AuthFailure", "InvalidAccessKeyId",
}
ACCESS_CODES = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"}
MAX_ATTEMPTS = 6


def _poll_seconds() -> float:
    # How often airhost asks AWS whether a wait is over; CI jobs and tests may want it shorter.
    try:
        return max(0.0, float(os.environ.get("AIRHOST_POLL_SECONDS", "5")))
    except ValueError:
        return 5.0


@dataclass(frozen=True)
class Clock:
    """Time as airhost's waits see it: injectable so tests and benchmarks never really sleep."""

    monotonic: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    utcnow: Callable[[], datetime] = field(default=lambda: datetime.now(timezone.utc))
    poll_seconds: float = field(default_factory=_poll_seconds)


def configured_region() -> str | None:
    """The region boto3 would use on its own (AWS_REGION, AWS_DEFAULT_REGION, the profile)."""
    return boto3.session.Session().region_name


class AwsSession:
    """The AWS session of one environment: its region, lazily created clients, and call()."""

    def __init__(self, region: str, *, clock: Clock | None = None,
                 boto_session: boto3.session.Session | None = None) -> None:
        self.region = region
        self.clock = clock or Clock()
        self._session = boto_session or boto3.session.Session(region_name=region)
        self._clients: dict[str, Any] = {}
        check_region(self._session, region)
        # Throttling and transient errors are retried in call(), with the injectable clock.
        self._config = Config(region_name=region, retries={"total_max_attempts": 1, "mode": "standard"},
                              user_agent_extra=f"airhost/{__version__}", connect_timeout=10,
                              read_timeout=60)

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self._session.client(service, config=self._config)
        return self._clients[service]

    def call(self, service: str, operation: str, /, **kwargs: Any) -> dict[str, Any]:
        """``client(service).operation(**kwargs)`` with retries and domain errors."""
        method = getattr(self.client(service), operation)
        return self._attempt(lambda: method(**kwargs), service, operation)

    def pages(self, service: str, operation: str, key: str, /, **kwargs: Any) -> Iterator[Any]:
        """Every item under ``key`` of every page of a paginated operation."""
        paginator = self.client(service).get_paginator(operation)
        iterator = iter(paginator.paginate(**kwargs))
        while True:
            page = self._attempt(lambda: next(iterator, None), service, operation)
            if page is None:
                return
            yield from page.get(key, [])

    def _attempt(self, send: Callable[[], Any], service: str, operation: str) -> Any:
        delay = 1.0
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                return send()
            except botocore.exceptions.ClientError as error:
                code = error.response.get("Error", {}).get("Code", "")
                retry = code in THROTTLING_CODES or code in TRANSIENT_CODES
                if not retry or attempt == MAX_ATTEMPTS:
                    raise translate(error, service, operation, self.region) from None
            except (botocore.exceptions.ConnectionError, botocore.exceptions.ReadTimeoutError) as error:
                if attempt == MAX_ATTEMPTS:
                    raise translate(error, service, operation, self.region) from None
            except (botocore.exceptions.BotoCoreError, ResponseParserError) as error:
                raise translate(error, service, operation, self.region) from None
            self.clock.sleep(delay)
            delay = min(delay * 2, 20.0)
        raise AssertionError("unreachable")


def translate(error: Exception, service: str, operation: str, region: str) -> AwsError:
    """A botocore exception as the airhost error a user can act on."""
    if isinstance(error, botocore.exceptions.NoCredentialsError):
        return CredentialsMissing(
            "no AWS credentials found: boto3 looked in the environment, AWS_PROFILE, ~/.aws and the "
            "instance role",
            hint="run 'aws configure' or 'aws sso login', or set AWS_PROFILE",
        )
    if isinstance(error, botocore.exceptions.ProfileNotFound):
        return CredentialsMissing(f"AWS profile not found: {error}",
                                  hint="check AWS_PROFILE against ~/.aws/config")
    if isinstance(error, (botocore.exceptions.EndpointConnectionError,
                          botocore.exceptions.ConnectionError)):
        return EndpointUnreachable(
            f"cannot reach AWS {service} in {region}: {error}",
            hint="check the network, the region, and AWS_ENDPOINT_URL if set",
        )
    if isinstance(error, ResponseParserError):
        return AwsError(f"{service} {operation} in {region} answered with something unreadable",
                        hint="the endpoint may not be AWS; check AWS_ENDPOINT_URL")
    if isinstance(error, botocore.exceptions.ClientError):
        details = error.response.get("Error", {})
        code, message = details.get("Code", "Unknown"), details.get("Message", str(error))
        if code in CREDENTIAL_CODES:
            return CredentialsMissing(f"AWS rejected the credentials ({code}): {message}",
                                      hint="refresh them ('aws sso login') or check AWS_PROFILE")
        if code in ACCESS_CODES:
            return AccessDenied(f"not allowed to call {service}:{operation} in {region}: {message}",
                                hint="grant that permission to the role or user airhost runs as")
        return AwsApiError(f"{service} {operation} failed: {message}", code=code, operation=operation)
    return AwsError(f"{service} {operation} failed: {error}")


def check_region(session: boto3.session.Session, region: str) -> None:
    """Reject a region no AWS partition has, before a call fails with a DNS error or hangs."""
    known: set[str] = set()
    for partition in session.get_available_partitions():
        known.update(session.get_available_regions("cloudformation", partition_name=partition))
    if known and region not in known:
        close = difflib.get_close_matches(region, sorted(known), n=1)
        hint = f"did you mean {close[0]}?" if close else "set region to one of AWS's regions"
        raise RegionUnknown(f"region '{region}' is not an AWS region: check 'region' in airhost.yaml",
                            hint=hint + " (a region newer than botocore needs 'pip install -U boto3')")
