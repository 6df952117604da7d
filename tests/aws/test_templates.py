"""How a template is sent: compact, and refused before any call when even S3 cannot take it."""

from __future__ import annotations

import json

import pytest

from airhost.aws.session import AwsSession
from airhost.aws.templates import (
    TEMPLATE_BODY_LIMIT, TemplateStore, TemplateTooLarge, fits_inline, template_body,
)


def test_the_body_is_compact_and_the_same_for_the_same_template():
    template = {"Resources": {"A": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "t"}}}}
    body = template_body(template)
    assert " " not in body and json.loads(body) == template
    assert body == template_body(json.loads(json.dumps(template)))
    assert fits_inline("x" * TEMPLATE_BODY_LIMIT) and not fits_inline("x" * (TEMPLATE_BODY_LIMIT + 1))


def test_a_template_over_a_megabyte_is_refused_before_any_aws_call():
    huge = {"Description": "d", "Resources": {"A": {"Type": "AWS::SNS::Topic",
                                                    "Metadata": {"pad": "x" * 1_000_001}}}}
    store = TemplateStore(AwsSession("eu-west-1"))  # no credentials needed: nothing is called
    with pytest.raises(TemplateTooLarge, match="CloudFormation takes at most 1,000,000"):
        store.source("shop-prod-airflow", huge)
