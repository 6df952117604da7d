"""Building blocks shared by every target's stacks: intrinsic functions, described resources, stamps.

Templates are plain dicts built here and in the stack modules; cfn-lint checks them against AWS's
resource schemas. Nothing in this package reads the clock, the network or random numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from airhost import __version__
from airhost.config.models import Environment
from airhost.render.stacks import Layer, StackTemplate, stack_name

Json = dict[str, Any]


def ref(name: str) -> Json:
    return {"Ref": name}


def get_att(resource: str, attribute: str) -> Json:
    return {"Fn::GetAtt": [resource, attribute]}


def sub(text: str, variables: Json | None = None) -> Json:
    return {"Fn::Sub": [text, variables]} if variables else {"Fn::Sub": text}


def join(separator: str, values: Any) -> Json:
    return {"Fn::Join": [separator, values]}


def if_(condition: str, yes: Any, no: Any) -> Json:
    return {"Fn::If": [condition, yes, no]}


NO_VALUE = ref("AWS::NoValue")
ACCOUNT = "${AWS::AccountId}"
PARTITION = "${AWS::Partition}"
REGION = "${AWS::Region}"


def sub_tokens(text: str, names: set[str]) -> Any:
    """``text`` as an Fn::Sub when it names one of ``names`` as ``${Name}``; plain text otherwise.

    Any other ``${...}`` in the text (a user's own setting) is escaped so CloudFormation keeps it.
    """
    if not any("${" + name + "}" in text for name in names):
        return text
    escaped = re.sub(r"\$\{(?!(" + "|".join(map(re.escape, sorted(names))) + r")\})", "${!", text)
    return sub(escaped)


def tags(**extra: str) -> list[Json]:
    """A resource's own tags (Name, component). The project, environment and layer tags are the
    stack's (``stack_tags``): CloudFormation puts them on every resource, so templates stay small."""
    return [{"Key": key, "Value": value} for key, value in extra.items()]


def stack_tags(env: Environment, layer: Layer) -> dict[str, str]:
    return {"airhost:project": env.project, "airhost:environment": env.name, "airhost:layer": layer}


def prefix(env: Environment) -> str:
    """The ``{project}-{env}`` prefix of every named resource."""
    return f"{env.project}-{env.name}"


@dataclass
class Template:
    """A CloudFormation template under construction; every resource carries a description."""

    env: Environment
    layer: Layer
    description: str
    parameters: dict[str, Json] = field(default_factory=dict)
    conditions: dict[str, Json] = field(default_factory=dict)
    resources: dict[str, Json] = field(default_factory=dict)
    outputs: dict[str, Json] = field(default_factory=dict)

    def parameter(self, name: str, type_: str, description: str, **extra: Any) -> Json:
        self.parameters[name] = {"Type": type_, "Description": description, **extra}
        return ref(name)

    def add(self, name: str, type_: str, description: str, properties: Json, **attributes: Any) -> Json:
        """Add resource ``name`` and return a Ref to it."""
        if name in self.resources:
            raise ValueError(f"resource {name} is defined twice")
        resource: Json = {"Type": type_, "Metadata": {"Description": description}}
        if properties:
            resource["Properties"] = properties
        resource.update(attributes)
        self.resources[name] = resource
        return ref(name)

    def output(self, name: str, value: Any, description: str) -> None:
        self.outputs[name] = {"Description": description, "Value": value}

    def to_dict(self, config_hash: str) -> Json:
        template: Json = {
            "AWSTemplateFormatVersion": "2010-09-09",
            "Description": f"airhost {self.env.project}/{self.env.name}: {self.description}",
            "Metadata": {
                "airhost": {
                    "version": __version__,
                    "config_hash": config_hash,
                    "project": self.env.project,
                    "environment": self.env.name,
                    "layer": self.layer,
                }
            },
        }
        if self.parameters:
            template["Parameters"] = self.parameters
        if self.conditions:
            template["Conditions"] = self.conditions
        template["Resources"] = self.resources
        if self.outputs:
            template["Outputs"] = self.outputs
        return template

    def stack(self, config_hash: str, *, parameters: dict[str, str] | None = None,
              inputs: dict[str, tuple[Layer, str]] | None = None,
              termination_protection: bool = False, kept: tuple[str, ...] = (),
              counts: tuple[str, ...] = ()) -> StackTemplate:
        return StackTemplate(
            layer=self.layer,
            name=stack_name(self.env.project, self.env.name, self.layer),
            template=self.to_dict(config_hash),
            parameters=dict(parameters or {}),
            inputs=dict(inputs or {}),
            termination_protection=termination_protection,
            tags=stack_tags(self.env, self.layer),
            kept=kept,
            counts=counts,
        )


def policy_document(*statements: Json) -> Json:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(actions: list[str], resources: Any, sid: str | None = None, **condition: Any) -> Json:
    statement: Json = {"Effect": "Allow", "Action": actions, "Resource": resources}
    if sid:
        statement["Sid"] = sid
    if condition:
        statement["Condition"] = condition
    return statement


def assume_role(service: str) -> Json:
    return policy_document({"Effect": "Allow", "Principal": {"Service": service},
                            "Action": "sts:AssumeRole"})
