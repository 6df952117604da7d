"""IAM: the policies of a role, read to tell what a replacement role must be granted."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from airhost.aws.session import AwsSession


@dataclass(frozen=True)
class RolePolicies:
    managed: list[str] = field(default_factory=list)  # policy ARNs attached to the role
    inline: dict[str, Any] = field(default_factory=dict)  # inline policy name → its document


def role_policies(session: AwsSession, role_arn: str) -> RolePolicies:
    """The managed and inline policies of the role ``role_arn`` (raises AwsError when unreadable)."""
    name = role_arn.rsplit("/", 1)[-1]
    managed = [item["PolicyArn"] for item in
               session.pages("iam", "list_attached_role_policies", "AttachedPolicies", RoleName=name)]
    inline = {}
    for policy in session.pages("iam", "list_role_policies", "PolicyNames", RoleName=name):
        inline[policy] = session.call("iam", "get_role_policy", RoleName=name,
                                      PolicyName=policy)["PolicyDocument"]
    return RolePolicies(sorted(managed), inline)
