"""No Helm value and no rendered manifest of any EKS example holds a literal secret."""

from __future__ import annotations

import copy

from tests.render.test_secret_scan import scan


def _k8s_env_pairs(node):
    """Kubernetes writes environment variables as name/value: the scan reads Name/Value. The
    chart's ``checksum/<secret>`` pod annotations are SHA-256 digests that roll pods when a
    rendered secret changes, not secrets: left out."""
    if isinstance(node, dict):
        if set(node) == {"name", "value"}:
            return {"Name": node["name"], "Value": node["value"]}
        return {key: _k8s_env_pairs(value) for key, value in node.items()
                if not str(key).startswith("checksum/")}
    if isinstance(node, list):
        return [_k8s_env_pairs(item) for item in node]
    return node


def test_no_value_or_manifest_holds_a_literal_secret(values, manifests, stacks):
    problems = []
    for name in values:
        problems += [f"{name} values{where}" for where in scan(_k8s_env_pairs(values[name]))]
        for obj in manifests[name]:
            label = f"{obj['kind']}/{obj['metadata']['name']}"
            problems += [f"{name} {label}{where}" for where in scan(_k8s_env_pairs(obj))]
        for stack in stacks[name]:
            problems += [f"{name} {stack.layer}{where}" for where in scan(stack.template)]
    assert not problems, "\n".join(problems)


def test_the_scan_finds_a_planted_key_in_the_values(values):
    planted = copy.deepcopy(values["auto"])
    planted["fernetKey"] = "c2VjcmV0LWtleS0xMjM0NTY3ODkwMTIzNDU2Nzg5MDE="
    planted["env"].append({"name": "AIRFLOW__API_AUTH__JWT_SECRET", "value": "not-a-reference"})
    found = scan(_k8s_env_pairs(planted))
    assert any("fernetKey" in item for item in found)
    assert any("JWT_SECRET" in item for item in found)
