"""The Helm values: valid by the chart's own schema, and free of the chart's known traps."""

from __future__ import annotations

import json

import jsonschema

from tests.eks.conftest import CHART


def test_every_example_validates_against_the_charts_values_schema(values):
    schema = json.loads((CHART / "values.schema.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft7Validator(schema)
    problems = {name: [f"{list(e.absolute_path)}: {e.message[:200]}" for e in validator.iter_errors(v)]
                for name, v in values.items()}
    assert not any(problems.values()), problems


def test_keys_are_existing_secrets_and_no_job_runs_as_a_hook(values):
    for name, v in values.items():
        assert v["fernetKeySecretName"] and v["jwtSecretName"] and v["apiSecretKeySecretName"], name
        assert v["data"]["metadataSecretName"] == "airhost-database"
        assert v["migrateDatabaseJob"] == {"enabled": False, "useHelmHooks": False}
        assert v["createUserJob"] == {"enabled": False, "useHelmHooks": False}
        assert not v["postgresql"]["enabled"] and not v["redis"]["enabled"]
        assert not v["dags"]["gitSync"]["enabled"]


def test_settings_come_from_the_one_renderer(values, environments):
    for name, v in values.items():
        shared = {item["name"]: item["value"] for item in v["env"]}
        assert shared["AIRFLOW__LOGGING__REMOTE_BASE_LOG_FOLDER"] == "s3://PLACEHOLDER-LogsBucket/task-logs"
        assert "S3DagBundle" in shared["AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST"]
        assert shared["AIRFLOW__METRICS__STATSD_HOST"] == "airflow-statsd"
        assert not any("FERNET" in key or "SQL_ALCHEMY_CONN" in key for key in shared)
        env, _ = environments[name]
        if env.airflow.executor == "kubernetes":
            assert shared["AIRFLOW__KUBERNETES_EXECUTOR__NAMESPACE"] == env.eks.namespace


def test_pgbouncer_reads_its_configuration_from_the_deploys_secret(values):
    assert values["auto"]["pgbouncer"]["configSecretName"] == "airhost-pgbouncer"
    assert values["shared"]["pgbouncer"] == {"enabled": False}


def test_access_modes(values):
    assert values["auto"]["ingress"]["apiServer"]["enabled"] is False
    ingress = values["ha"]["ingress"]["apiServer"]
    annotations = ingress["annotations"]
    assert annotations["alb.ingress.kubernetes.io/inbound-cidrs"] == "203.0.113.0/24,198.51.100.0/24"
    assert annotations["alb.ingress.kubernetes.io/certificate-arn"].startswith("arn:aws:acm:")
    assert values["ha"]["apiServer"]["replicas"] == 2 and values["ha"]["scheduler"]["replicas"] == 2
    sidecars = values["nodes"]["apiServer"]["extraContainers"]
    assert sidecars[0]["name"] == "tailscale"
