"""Fail any security group that admits the whole internet to PostgreSQL's port.

checkov has no built-in check for 5432. This one also catches all-protocol rules (IpProtocol -1),
which open every port and which checkov's port checks skip because they carry no port range.
"""

from checkov.cloudformation.checks.resource.aws.AbsSecurityGroupUnrestrictedIngress import (
    AbsSecurityGroupUnrestrictedIngress,
)
from checkov.common.models.enums import CheckResult

OPEN = ("0.0.0.0/0", "::/0")


class DatabasePortOpenToInternet(AbsSecurityGroupUnrestrictedIngress):
    def __init__(self) -> None:
        super().__init__(check_id="CKV_AIRHOST_5432", port=5432)

    def scan_resource_conf(self, conf):
        result = super().scan_resource_conf(conf)
        if result != CheckResult.PASSED:
            return result
        properties = conf.get("Properties") or {}
        if conf["Type"] == "AWS::EC2::SecurityGroup":
            rules = properties.get("SecurityGroupIngress") or []
        else:
            rules = [properties]
        for rule in rules if isinstance(rules, list) else []:
            open_cidr = rule.get("CidrIp") in OPEN or rule.get("CidrIpv6") in OPEN
            if open_cidr and str(rule.get("IpProtocol")) in ("-1", "all"):
                return CheckResult.FAILED
        return CheckResult.PASSED


check = DatabasePortOpenToInternet()
