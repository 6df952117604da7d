"""Errors the AWS layer raises, in the domain's words.

Facades translate botocore's exceptions into these; nothing above ``airhost.aws`` ever sees a
botocore exception. Messages read "what happened: why — what to do".
"""

from __future__ import annotations

from airhost.errors import AirhostError


class AwsError(AirhostError):
    """An AWS call failed in a way airhost cannot work around."""

    exit_code = 3


class AwsApiError(AwsError):
    """An AWS error without a more specific meaning; facades inspect ``code`` to refine it."""

    def __init__(self, message: str, *, code: str, operation: str, hint: str | None = None):
        super().__init__(message, hint=hint)
        self.code = code
        self.operation = operation


class CredentialsMissing(AwsError):
    """No AWS credentials were found, or AWS rejected them."""

    exit_code = 4


class AccessDenied(AwsError):
    """The credentials work but lack a permission."""

    exit_code = 4


class RegionUnknown(AwsError):
    """The configured region is not one AWS has (or this botocore knows)."""

    exit_code = 2


class EndpointUnreachable(AwsError):
    """AWS (or the configured endpoint) could not be reached."""

    exit_code = 3


class StackNotFound(AwsError):
    """A CloudFormation stack does not exist (or no longer does)."""

    exit_code = 5


class NotDeployed(AwsError):
    """The environment has no stacks in its account and region."""

    exit_code = 5


class ChangeSetEmpty(AwsError):
    """A change set has nothing to change: callers treat this as "no changes", not a failure."""

    exit_code = 0


class ChangeSetFailed(AwsError):
    """CloudFormation could not create a change set (a template or parameter problem)."""


class StackFailed(AwsError):
    """A stack operation ended in a failed or rolled-back state."""

    def __init__(self, message: str, *, stack: str, status: str, resource: str | None = None,
                 reason: str | None = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.stack = stack
        self.status = status
        self.resource = resource
        self.reason = reason


class WaitTimeout(AwsError):
    """Something did not reach the state airhost waited for in time."""


class TaskFailed(AwsError):
    """A one-off ECS task could not start, or stopped without an exit code."""


class TaskTimeout(AwsError):
    """A one-off ECS task ran longer than allowed and was stopped."""

    exit_code = 124


class EnvironmentNotFound(AwsError):
    """An Amazon MWAA environment does not exist in the account and region."""

    exit_code = 5


class ObjectUnreadable(AwsError):
    """An S3 bucket or object cannot be read: missing, another version, or no permission."""

    exit_code = 5
