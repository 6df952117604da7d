"""The sections of airhost.yaml about AWS infrastructure every cloud target shares: database,
network, access (and the size of a component). Each target's own section lives beside it
(``config/ecs.py``)."""

from __future__ import annotations

import ipaddress
import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from airhost.config import support
from airhost.config.base import ARN_PATTERN, StrictModel, _check_cidr


class DatabaseSettings(StrictModel):
    """The metadata database: RDS PostgreSQL in AWS, an embedded PostgreSQL locally."""

    engine_version: str = Field(
        support.DEFAULT_POSTGRES_VERSION, description="PostgreSQL major version"
    )
    instance_class: str = Field("db.t4g.micro", description="RDS instance class")
    storage_gb: int = Field(20, ge=20, le=65536, description="allocated storage in GiB")
    max_storage_gb: int | None = Field(None, ge=21, le=65536, description="storage autoscaling cap")
    multi_az: bool = False
    backup_days: int = Field(7, ge=1, le=35, description="automated backup retention in days")
    keep_backups: int = Field(
        10, ge=1, le=100,
        description="backups airhost keeps (airhost backup, pre-upgrade): older ones are deleted")
    admin_security_group: str | None = Field(
        None, description="security group id allowed to reach the database, for admins"
    )
    url: str | None = Field(
        None, description="local target: an existing PostgreSQL URL instead of the embedded one"
    )

    @field_validator("engine_version")
    @classmethod
    def _engine(cls, value: str) -> str:
        if value not in support.POSTGRES_VERSIONS:
            raise ValueError(
                f"PostgreSQL {value} is not supported: use one of {', '.join(support.POSTGRES_VERSIONS)}"
            )
        return value

    @field_validator("instance_class")
    @classmethod
    def _instance_class(cls, value: str) -> str:
        if not re.match(r"^db\.[a-z0-9]+\.[a-z0-9]+$", value):
            raise ValueError(f"'{value}' is not an RDS instance class like db.t4g.micro")
        return value

    @field_validator("admin_security_group")
    @classmethod
    def _security_group(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^sg-[0-9a-f]{8,17}$", value):
            raise ValueError(f"'{value}' is not a security group id like sg-0123456789abcdef0")
        return value

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if not re.match(r"^postgres(ql)?(\+[a-z0-9]+)?://", value):
            raise ValueError(f"'{value}' is not a PostgreSQL URL like postgresql://user@host:5432/airflow")
        if re.match(r"^[^:]+://[^/@:]+:[^/@]*@", value):
            raise ValueError(
                "the database URL contains a password: remove it and put it in ~/.pgpass or PGPASSWORD"
            )
        return value

    @model_validator(mode="after")
    def _storage_cap(self) -> DatabaseSettings:
        if self.max_storage_gb is not None and self.max_storage_gb <= self.storage_gb:
            raise ValueError(
                f"max_storage_gb ({self.max_storage_gb}) must be larger than storage_gb ({self.storage_gb})"
            )
        return self


class NetworkSettings(StrictModel):
    """A new VPC (default) or the ids of an existing one."""

    cidr: str = Field("10.42.0.0/16", description="CIDR of a new VPC")
    egress: Literal["nat-instance", "nat-gateway", "endpoints"] = Field(
        "nat-instance",
        description="how the private subnets reach out: nat-instance (a small Graviton NAT instance), "
                    "nat-gateway (a managed NAT gateway) or endpoints (VPC endpoints only, no internet)",
    )
    nat_instance_type: str = Field(
        "t4g.nano", pattern=r"^[a-z][a-z0-9]*g[a-z]*\.(nano|micro|small|medium|large|xlarge)$",
        description="the NAT instance's type (egress: nat-instance): a Graviton (arm64) type",
    )
    vpc_id: str | None = Field(None, description="use this existing VPC instead of creating one")
    private_subnet_ids: list[str] = Field(default_factory=list)
    public_subnet_ids: list[str] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _former_nat(cls, data: object) -> object:
        """``nat: gateway | none`` was the earlier spelling of ``egress``: still read, never both."""
        if not isinstance(data, dict) or "nat" not in data:
            return data
        spelling = {"gateway": "nat-gateway", "none": "endpoints"}
        nat = data["nat"]
        if nat not in spelling:
            raise ValueError(f"network.nat '{nat}' is not a choice: it is now spelled network.egress "
                             "— use egress: nat-instance, nat-gateway or endpoints")
        if "egress" in data and data["egress"] != spelling[nat]:
            raise ValueError(f"network.nat {nat} and network.egress {data['egress']} disagree: nat is "
                             f"the earlier spelling of egress — keep egress only")
        return {**{k: v for k, v in data.items() if k != "nat"}, "egress": spelling[nat]}

    @field_validator("cidr")
    @classmethod
    def _vpc_cidr(cls, value: str) -> str:
        _check_cidr(value)
        size = ipaddress.ip_network(value).prefixlen
        if not 16 <= size <= 24:
            raise ValueError(f"'{value}' is a /{size}: a VPC needs a /16 to /24 block, like 10.42.0.0/16")
        return value

    @field_validator("vpc_id")
    @classmethod
    def _vpc(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^vpc-[0-9a-f]{8,17}$", value):
            raise ValueError(f"'{value}' is not a VPC id like vpc-0123456789abcdef0")
        return value

    @field_validator("private_subnet_ids", "public_subnet_ids")
    @classmethod
    def _subnets(cls, value: list[str]) -> list[str]:
        for subnet in value:
            if not re.match(r"^subnet-[0-9a-f]{8,17}$", subnet):
                raise ValueError(f"'{subnet}' is not a subnet id like subnet-0123456789abcdef0")
        return value

    @model_validator(mode="after")
    def _existing_needs_subnets(self) -> NetworkSettings:
        if self.vpc_id and len(self.private_subnet_ids) < 2:
            raise ValueError("an existing vpc_id needs at least two private_subnet_ids (two AZs)")
        if not self.vpc_id and (self.private_subnet_ids or self.public_subnet_ids):
            raise ValueError("subnet ids were given without vpc_id: set network.vpc_id too")
        return self


class ComponentSize(StrictModel):
    """CPU units (1024 = one vCPU) and memory in MiB of one component's task."""

    cpu: int = Field(ge=256, le=16384)
    memory: int = Field(ge=512, le=122880)


class OidcSettings(StrictModel):
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    user_info_endpoint: str
    client_id: str
    client_secret_arn: str = Field(description="Secrets Manager ARN holding the client secret")

    @field_validator("client_secret_arn")
    @classmethod
    def _arn(cls, value: str) -> str:
        if not ARN_PATTERN.match(value):
            raise ValueError(f"'{value}' is not an ARN")
        return value


class TailscaleSettings(StrictModel):
    auth_key_secret_arn: str = Field(description="Secrets Manager ARN holding a Tailscale auth key")
    hostname: str | None = None
    tailnet: str | None = Field(
        None, description="the tailnet's DNS name (e.g. tail1234.ts.net): Airflow's links then use "
                          "https://<hostname>.<tailnet>"
    )

    @field_validator("tailnet")
    @classmethod
    def _tailnet(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^([a-z0-9-]+\.)+ts\.net$", value):
            raise ValueError(f"'{value}' is not a tailnet DNS name like tail1234.ts.net")
        return value

    @field_validator("auth_key_secret_arn")
    @classmethod
    def _arn(cls, value: str) -> str:
        if not ARN_PATTERN.match(value):
            raise ValueError(f"'{value}' is not an ARN")
        return value


class AccessSettings(StrictModel):
    """How people reach the Airflow UI and API."""

    mode: Literal["private", "alb", "tailscale"] = "private"
    certificate_arn: str | None = Field(None, description="ACM certificate for the ALB's HTTPS listener")
    domain: str | None = Field(
        None, description="DNS name people use for the ALB (the certificate's); default: the ALB's own"
    )
    allowed_cidrs: list[str] = Field(default_factory=list, description="who may reach the ALB")
    oidc: OidcSettings | None = None
    tailscale: TailscaleSettings | None = None

    @field_validator("allowed_cidrs")
    @classmethod
    def _cidrs(cls, value: list[str]) -> list[str]:
        return [_check_cidr(cidr) for cidr in value]

    @field_validator("domain")
    @classmethod
    def _domain(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$", value):
            raise ValueError(f"'{value}' is not a DNS name like airflow.example.com")
        return value

    @field_validator("certificate_arn")
    @classmethod
    def _certificate(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/.+$", value):
            raise ValueError(f"'{value}' is not an ACM certificate ARN")
        return value

    @model_validator(mode="after")
    def _mode_needs(self) -> AccessSettings:
        if self.mode == "alb":
            if not self.certificate_arn:
                raise ValueError("access.mode alb needs access.certificate_arn (an ACM certificate)")
            if not self.allowed_cidrs:
                raise ValueError(
                    "access.mode alb needs access.allowed_cidrs: list who may connect "
                    "(0.0.0.0/0 only if the whole internet should)"
                )
        if self.mode == "tailscale" and self.tailscale is None:
            raise ValueError("access.mode tailscale needs access.tailscale.auth_key_secret_arn")
        if self.mode != "alb" and (self.oidc or self.certificate_arn or self.allowed_cidrs or self.domain):
            raise ValueError("certificate_arn, domain, allowed_cidrs and oidc only apply to access.mode alb")
        return self


