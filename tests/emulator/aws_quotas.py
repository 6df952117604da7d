"""CloudFormation's documented quotas, enforced on every request the emulator receives.

moto accepts a template of any size and shape; AWS does not. Every CreateStack, UpdateStack,
CreateChangeSet and ValidateTemplate request that reaches the moto server passes through
``check`` first, which refuses it with AWS's own error when it breaks a quota from
"CloudFormation quotas" in the AWS CloudFormation User Guide:

- template body passed inline (TemplateBody): 51,200 bytes;
- template in S3 (TemplateURL): 1 MB (1,000,000 bytes, as the API documents the member);
- resources 500, parameters 200, outputs 200, mappings 200 per template;
- template description 1,024 bytes; stack name 128 characters; a parameter value 4,096 bytes.

Patched into moto's CloudFormation responses in the server's process, so every client — the
product's boto3 sessions, the tests' own — meets the same rules a real account would apply.
"""

from __future__ import annotations

import json
from typing import Any

import yaml
from moto.cloudformation import responses as cfn_responses
from moto.cloudformation.exceptions import ValidationError
from moto.cloudformation.utils import get_stack_from_s3_url

TEMPLATE_BODY_BYTES = 51_200
TEMPLATE_URL_BYTES = 1_000_000
PER_TEMPLATE = {"Resources": 500, "Parameters": 200, "Outputs": 200, "Mappings": 200}
DESCRIPTION_BYTES = 1_024
STACK_NAME_CHARS = 128
PARAMETER_VALUE_BYTES = 4_096
CHECKED = ("create_stack", "update_stack", "create_change_set", "validate_template")


def _member_too_long(member: str, limit: int) -> ValidationError:
    # AWS's wording for a request member over its length constraint
    return ValidationError(message=(
        f"1 validation error detected: Value at '{member}' failed to satisfy constraint: "
        f"Member must have length less than or equal to {limit}"))


def check(response: Any) -> None:
    body = response._get_param("TemplateBody")
    url = response._get_param("TemplateURL")
    name = response._get_param("StackName") or ""
    if len(name) > STACK_NAME_CHARS:
        raise _member_too_long("stackName", STACK_NAME_CHARS)
    if body is not None and len(body.encode("utf-8")) > TEMPLATE_BODY_BYTES:
        raise _member_too_long("templateBody", TEMPLATE_BODY_BYTES)
    if url:
        body = get_stack_from_s3_url(url, account_id=response.current_account,
                                     partition=response.partition)
        if len(body.encode("utf-8")) > TEMPLATE_URL_BYTES:
            raise ValidationError(message=(
                f"Template may not exceed {TEMPLATE_URL_BYTES} bytes in size."))
    if body:
        _check_template(body)
    for parameter in response._get_param("Parameters", []) or []:
        if len(str(parameter.get("ParameterValue", "")).encode("utf-8")) > PARAMETER_VALUE_BYTES:
            raise _member_too_long("parameters.member.parameterValue", PARAMETER_VALUE_BYTES)


def _check_template(body: str) -> None:
    try:
        template = json.loads(body)
    except ValueError:
        template = yaml.safe_load(body)
    if not isinstance(template, dict):
        return
    for section, limit in PER_TEMPLATE.items():
        count = len(template.get(section) or {})
        if count > limit:
            raise ValidationError(message=(
                f"Template format error: Number of {section.lower()} ({count}) exceeds the "
                f"maximum allowed ({limit})"))
    description = template.get("Description") or ""
    if len(str(description).encode("utf-8")) > DESCRIPTION_BYTES:
        raise ValidationError(message=(
            f"Template format error: The template description must be at most "
            f"{DESCRIPTION_BYTES} bytes"))


def enforce_quotas() -> None:
    """Put ``check`` in front of each request that carries a template (once per process)."""
    cls = cfn_responses.CloudFormationResponse
    if getattr(cls, "_airhost_quotas", False):
        return
    for operation in CHECKED:
        original = getattr(cls, operation)

        def checked(self, _original=original):
            check(self)
            return _original(self)

        setattr(cls, operation, checked)
    cls._airhost_quotas = True
