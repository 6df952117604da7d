"""No rendered template, task definition included, contains a literal secret."""

from __future__ import annotations

import copy
import re

SECRET_NAME = re.compile(r"(password|passwd|secret|token|authkey|auth_key|private_?key|fernet|jwt|"
                         r"credential|api_?key)", re.IGNORECASE)
# Names that say "secret" but hold no secret value: references, generation rules, descriptions.
NOT_VALUES = {"SecretString", "GenerateSecretString", "SecretStringTemplate", "GenerateStringKey",
              "ExcludePunctuation", "PasswordLength", "Description", "ManageMasterUserPassword",
              "TokenEndpoint", "HttpTokens"}  # HttpTokens: "required" is IMDSv2, not a token
LITERAL_SECRET = [
    re.compile(r"AKIA[0-9A-Z]{16}"),  # AWS access key id
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"[a-z][a-z0-9+.-]*://[^/\s:@{}]+:[^/\s@{}]+@"),  # a URL with user:password@
    re.compile(r"tskey-[a-z]+-[A-Za-z0-9]+"),  # Tailscale auth key
]


# Keys whose value names where a secret is kept (a Kubernetes secret's name), never the secret.
REFERENCE_KEYS = ("SecretName", "secretName")


def _is_reference(value) -> bool:
    text = value if isinstance(value, str) else str(value)
    return (not isinstance(value, str)) or text.startswith(("arn:", "{{resolve:")) or text == ""


def scan(node, path="") -> list[str]:
    """Places in a template where a secret value is written literally."""
    found = []
    if isinstance(node, dict):
        # AIRFLOW__SECTION__KEY: the key names the value (AIRFLOW__SECRETS__BACKEND is no secret).
        if set(node) == {"Name", "Value"} and SECRET_NAME.search(str(node["Name"]).split("__")[-1]):
            if isinstance(node["Value"], str) and not _is_reference(node["Value"]):
                found.append(f"{path}: environment variable {node['Name']} holds a literal value")
        for key, value in node.items():
            if (SECRET_NAME.search(key) and key not in NOT_VALUES and not key.endswith(REFERENCE_KEYS)
                    and isinstance(value, str)
                    and not _is_reference(value)):
                found.append(f"{path}/{key}: literal value")
            found += scan(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, item in enumerate(node):
            found += scan(item, f"{path}/{index}")
    elif isinstance(node, str):
        for pattern in LITERAL_SECRET:
            if pattern.search(node):
                found.append(f"{path}: looks like a secret ({pattern.pattern[:30]})")
    return found


def test_no_template_holds_a_literal_secret(examples):
    problems = []
    for key, stacks in examples.items():
        for stack in stacks:
            problems += [f"{key} {stack.layer}{where}" for where in scan(stack.template)]
            problems += [f"{key} {stack.layer} parameter {name}" for name, value in stack.parameters.items()
                         if SECRET_NAME.search(name) or any(p.search(value) for p in LITERAL_SECRET)]
    assert not problems, "\n".join(problems)


def test_the_scan_finds_planted_secrets(examples):
    template = copy.deepcopy(next(s for s in examples["ecs/fg-solo"] if s.layer == "airflow").template)
    task = template["Resources"]["StandaloneTaskDefinition"]["Properties"]
    container = task["ContainerDefinitions"][0]
    container["Environment"].append({"Name": "AIRFLOW__CORE__FERNET_KEY", "Value": "c2VjcmV0LWtleS0xMjM0NTY3ODkwMTIzNDU2Nzg5MDE="})
    container["Environment"].append({"Name": "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_X",
                                     "Value": "postgresql://airflow:hunter2@db:5432/airflow"})
    template["Resources"]["Database"] = {"Type": "AWS::RDS::DBInstance",
                                         "Properties": {"MasterUserPassword": "admin123"}}
    found = scan(template)
    assert any("FERNET_KEY" in item for item in found)
    assert any("hunter2" in item or "user:password" in item or "looks like a secret" in item for item in found)
    assert any("MasterUserPassword" in item for item in found)


def test_secrets_are_generated_by_secrets_manager_not_written(examples):
    for stacks in examples.values():
        data = next(s for s in stacks if s.layer == "data").template
        for name, resource in data["Resources"].items():
            if resource["Type"] == "AWS::SecretsManager::Secret":
                properties = resource["Properties"]
                generated = "GenerateSecretString" in properties
                derived = "{{resolve:secretsmanager:${" in str(properties.get("SecretString", ""))
                assert generated or derived, name
