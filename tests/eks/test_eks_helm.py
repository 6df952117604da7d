"""The official chart rendered by real Helm (its Go engine, in process) with airhost's values,
and every object valid for the cluster's Kubernetes version (kubernetes-validate --strict)."""

from __future__ import annotations

import base64

import kubernetes_validate
import pytest

from airhost.tools.helm import HelmError, render_chart


def test_helm_renders_every_example(manifests):
    for name, objects in manifests.items():
        kinds = {obj["kind"] for obj in objects}
        assert {"Deployment", "Service", "ServiceAccount"} <= kinds, name
        assert "Job" not in kinds, f"{name}: the chart would run a migration or create a user"


def test_every_manifest_is_valid_for_the_clusters_kubernetes_version(manifests, environments):
    problems = []
    for name, objects in manifests.items():
        env, _ = environments[name]
        version = env.eks.kubernetes_version + ".0"
        for obj in objects:
            try:
                kubernetes_validate.validate(obj, version, strict=True)
            except kubernetes_validate.ValidationError as error:
                problems.append(f"{name} {obj['kind']}/{obj['metadata']['name']}: {error.message}")
    assert not problems, "\n".join(problems)


def test_the_chart_generates_no_key_and_no_password(manifests):
    for name, objects in manifests.items():
        secrets = {obj["metadata"]["name"]: obj for obj in objects if obj["kind"] == "Secret"}
        assert not {"airflow-fernet-key", "airflow-jwt-secret", "airflow-api-secret-key",
                    "airflow-metadata", "airflow-pgbouncer-config"} & set(secrets), name
        for secret in secrets.values():
            for value in secret.get("data", {}).values():
                decoded = base64.b64decode(value).decode()
                assert "@" not in decoded and "password" not in decoded.lower(), (name, secret["metadata"])


def test_service_accounts_are_the_pod_identity_ones(manifests, stacks):
    for name, objects in manifests.items():
        accounts = {obj["metadata"]["name"] for obj in objects if obj["kind"] == "ServiceAccount"}
        compute = next(s for s in stacks[name] if s.layer == "compute").template["Resources"]
        associated = {r["Properties"]["ServiceAccount"] for r in compute.values()
                      if r["Type"] == "AWS::EKS::PodIdentityAssociation"}
        assert associated <= accounts, (name, associated - accounts)


def test_containers_have_no_duplicate_environment_variables(manifests):
    for name, objects in manifests.items():
        for obj in objects:
            spec = obj.get("spec", {}).get("template", {}).get("spec", {})
            for container in spec.get("containers", []) + spec.get("initContainers", []):
                names = [item["name"] for item in container.get("env", [])]
                duplicates = {n for n in names if names.count(n) > 1}
                assert not duplicates, (name, obj["metadata"]["name"], container["name"], duplicates)


def test_a_chart_of_another_version_is_refused(chart, values):
    with pytest.raises(HelmError, match="not 9.9.9"):
        render_chart(chart, values["auto"], release="airflow", namespace="airflow", version="9.9.9")


def test_values_the_schema_refuses_fail_the_render(chart, values):
    broken = {**values["auto"], "scheduler": {**values["auto"]["scheduler"], "replicas": "two"}}
    with pytest.raises(HelmError):
        render_chart(chart, broken, release="airflow", namespace="airflow")
