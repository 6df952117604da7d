"""`airhost import mwaa`: MWAA's answers through botocore's Stubber, its bucket and VPC on the emulator."""

from __future__ import annotations

import json
import os

import pytest
from botocore.stub import Stubber

from airhost.aws.errors import AccessDenied, EnvironmentNotFound, ObjectUnreadable
from airhost.aws.session import AwsSession
from airhost.config import load_project
from airhost.mwaa.importer import UnsafeArchive, import_mwaa
from tests.emulator.moto_gaps import REGION
from tests.emulator.mwaa_source import (
    AIRFLOW2_DAG, AIRFLOW3_DAG, HELPERS, MWAA_REQUIREMENTS, WAREHOUSE_POLICY, airflow3_environment,
    analytics_source, environment, make_source, plugins_zip,
)

pytestmark = pytest.mark.emulator

AIRFLOW2_OPTIONS = {
    "core.dag_concurrency": "32",
    "scheduler.dag_dir_list_interval": "60",
    "webserver.default_ui_timezone": "Europe/Berlin",
    "webserver.base_url": "https://airflow.example.com",
    "secrets.backend": "airflow.providers.amazon.aws.secrets.secrets_manager.SecretsManagerBackend",
}


@pytest.fixture
def session(emulator) -> AwsSession:
    return AwsSession(REGION)


@pytest.fixture
def mwaa(session):
    """The session's MWAA client answering from a Stubber, checked against MWAA's API model."""
    stubber = Stubber(session.client("mwaa"))
    stubber.activate()
    yield stubber
    stubber.assert_no_pending_responses()
    stubber.deactivate()


def answer(mwaa, described: dict) -> None:
    mwaa.add_response("get_environment", {"Environment": described}, {"Name": described["Name"]})


@pytest.fixture
def airflow3_source(emulator):
    return analytics_source()


def test_an_airflow3_environment_becomes_a_project_of_equal_capacity(session, mwaa, airflow3_source, tmp_path):
    answer(mwaa, airflow3_environment(airflow3_source))
    root = tmp_path / "analytics"

    report = import_mwaa(session, "analytics-prod", root)

    project = load_project(root)  # what `airhost validate` checks
    prod, local = project.environments["prod"], project.environments["local"]
    assert (prod.target, prod.region, prod.airflow.executor) == ("ecs", REGION, "celery")
    assert (prod.ecs.topology, prod.ecs.image, prod.celery.broker) == ("split", "ecr", "sqs")
    assert (prod.workers.min, prod.workers.max, prod.workers.tasks_per_worker) == (2, 8, 16)
    assert (prod.workers.size.cpu, prod.workers.size.memory) == (2048, 4096)  # mw1.medium's worker
    assert (prod.ecs.schedulers, prod.ecs.api_servers) == (2, 2)
    assert prod.network.vpc_id == airflow3_source.vpc_id
    assert prod.network.private_subnet_ids == airflow3_source.subnets
    assert prod.access.mode == "private"
    assert prod.mwaa.environment_class == "mw1.medium" and prod.mwaa.max_workers == 8
    # MWAA runs 3.0; Celery workers on ECS need 3.2's per-queue gauges
    assert prod.airflow.version == local.airflow.version == "3.3.2"
    assert prod.airflow.config["core"] == {"default_timezone": "utc", "max_active_runs_per_dag": "4"}
    # connections and variables stay in Secrets Manager for the cloud; the laptop keeps its own
    assert prod.airflow.config["secrets"]["backend"].endswith("SecretsManagerBackend")
    assert "secrets" not in local.airflow.config and local.airflow.executor == "local"
    assert "logging" not in prod.airflow.config and "metrics" not in prod.airflow.config

    assert (root / "requirements.txt").read_text() == MWAA_REQUIREMENTS  # the version named, not the newest
    assert (root / "dags" / "orders.py").read_text() == AIRFLOW3_DAG
    assert (root / "dags" / "sql" / "orders.sql").is_file()
    assert (root / "plugins" / "helpers" / "text.py").read_text() == HELPERS
    assert (root / "plugins" / "analytics_plugin.py").is_file()

    rows = {row.setting: row for row in report.rows}
    assert rows["AirflowVersion"].status == "changed"
    assert rows["AirflowConfigurationOptions celery.worker_autoscale"].became == "workers.tasks_per_worker"
    assert rows["AirflowConfigurationOptions logging.remote_logging"].status == "dropped"
    assert rows["ExecutionRoleArn"].status == "manual"
    assert "Managed policies: arn:aws:iam::123456789012:policy/analytics-lake-read" in rows["ExecutionRoleArn"].why
    assert "Inline policies: warehouse-access" in rows["ExecutionRoleArn"].why
    saved = json.loads((root / "mwaa-execution-role" / "warehouse-access.json").read_text())
    assert saved == WAREHOUSE_POLICY
    assert rows["NetworkConfiguration.SecurityGroupIds"].status == "manual"
    assert "&id" not in (root / "airhost.yaml").read_text()  # plain YAML a person edits
    written = (root / "MIGRATION.md").read_text()
    assert "| ExecutionRoleArn |" in written and "To do by hand" in written
    data = json.loads((root / "migration.json").read_text())
    assert data["airflow3_findings"] == [] and data["files"] == {"dags": 3, "plugins": 3}


LEGACY_HOOK = "from airflow.hooks.base_hook import BaseHook\n\n\nclass WarehouseHook(BaseHook):\n    pass\n"


@pytest.fixture
def airflow2_source(emulator):
    requirements = ("--constraint \"https://raw.githubusercontent.com/apache/airflow/constraints-2.10.3/"
                    "constraints-3.11.txt\"\napache-airflow-providers-snowflake==5.8.0\n")
    return make_source("finance-mwaa-source", {"legacy_report.py": AIRFLOW2_DAG},
                       [requirements], {"legacy_hooks.py": LEGACY_HOOK})


def test_an_airflow2_environment_is_imported_with_its_airflow3_findings(session, mwaa, airflow2_source,
                                                                        tmp_path, run_cli):
    answer(mwaa, environment("finance", airflow2_source, version="2.10.3", environment_class="mw1.large",
                             options=AIRFLOW2_OPTIONS, access="PUBLIC_ONLY", startup=True,
                             MinWorkers=1, MaxWorkers=10, Schedulers=3, MinWebservers=2, MaxWebservers=2))
    root = tmp_path / "finance"

    report = import_mwaa(session, "finance", root)

    prod = load_project(root).environments["prod"]
    assert prod.airflow.version == "3.3.2"
    assert (prod.workers.tasks_per_worker, prod.workers.max, prod.ecs.schedulers) == (20, 10, 3)
    assert prod.airflow.config["core"] == {"max_active_tasks_per_dag": "32"}  # Airflow 3's name
    assert prod.airflow.config["dag_processor"] == {"refresh_interval": "60"}
    rows = {row.setting: row for row in report.rows}
    assert rows["AirflowConfigurationOptions webserver.default_ui_timezone"].status == "dropped"
    assert rows["WebserverAccessMode"].status == "manual" and "certificate" in rows["WebserverAccessMode"].why
    assert prod.access.mode == "private"
    assert rows["StartupScriptS3Path"].status == "manual"
    assert "could not be read" in rows["ExecutionRoleArn"].why  # this role is gone: said, not fatal
    script = root / "mwaa-startup" / "startup.sh"
    assert "libaio" in script.read_text() and not os.access(script, os.X_OK)  # kept aside, never run
    requirements = (root / "requirements.txt").read_text().splitlines()
    assert requirements[0].startswith("# --constraint") and requirements[1].startswith("apache-airflow-prov")

    found = {(f.path, f.line, f.code) for f in report.findings}
    assert ("dags/legacy_report.py", 11, "AIR301") in found  # schedule_interval=, days_ago(1)
    assert ("dags/legacy_report.py", 12, "AIR312") in found  # airflow.operators.python
    assert ("dags/legacy_report.py", 13, "AIR302") in found  # airflow.operators.bash_operator
    assert ("plugins/legacy_hooks.py", 4, "AIR301") in found  # airflow.hooks.base_hook
    messages = " ".join(f.message for f in report.findings)
    assert "schedule_interval" in messages and "days_ago" in messages
    assert "dags/legacy_report.py:11 | AIR301" in (root / "MIGRATION.md").read_text()

    costed = run_cli("cost", "prod", "--config", str(root), "--output", "json")
    assert costed.exit_code == 0, costed.stderr
    mwaa_cost = json.loads(costed.stdout)["mwaa"]
    assert (mwaa_cost["class"], mwaa_cost["workers"], mwaa_cost["workers_at_max"]) == ("mw1.large", 1, 10)
    assert "MWAA additional schedulers" in {line["line"] for line in mwaa_cost["lines"]}


def nothing_written(tmp_path) -> bool:
    return sorted(p.name for p in tmp_path.iterdir()) == []


@pytest.mark.parametrize("code, error_type, text", [
    ("ResourceNotFoundException", EnvironmentNotFound, "no MWAA environment named 'analytics-prod'"),
    ("AccessDeniedException", AccessDenied, "not allowed to call airflow:GetEnvironment"),
])
def test_an_environment_that_cannot_be_read_is_a_clear_error_that_writes_nothing(
        session, mwaa, tmp_path, code, error_type, text):
    mwaa.add_client_error("get_environment", service_error_code=code, expected_params={"Name": "analytics-prod"})
    with pytest.raises(error_type) as error:
        import_mwaa(session, "analytics-prod", tmp_path / "analytics")
    assert text in str(error.value) and " — " in str(error.value)  # what happened: why — what to do
    assert error.value.exit_code != 0
    assert nothing_written(tmp_path)


def test_an_unreadable_bucket_writes_nothing(session, mwaa, airflow3_source, tmp_path):
    described = airflow3_environment(airflow3_source)
    described["SourceBucketArn"] = "arn:aws:s3:::bucket-that-was-deleted"
    answer(mwaa, described)
    with pytest.raises(ObjectUnreadable, match="cannot list s3://bucket-that-was-deleted/dags/: the bucket "
                                               "does not exist — "):
        import_mwaa(session, "analytics-prod", tmp_path / "analytics")
    assert nothing_written(tmp_path)


def test_a_requirements_version_that_is_gone_writes_nothing(session, mwaa, airflow3_source, tmp_path):
    described = airflow3_environment(airflow3_source)
    described["RequirementsS3ObjectVersion"] = "3sL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY"
    answer(mwaa, described)
    with pytest.raises(ObjectUnreadable, match=r"cannot read s3://analytics-mwaa-source/requirements.txt "
                                               r"\(version 3sL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY\)"):
        import_mwaa(session, "analytics-prod", tmp_path / "analytics")
    assert nothing_written(tmp_path)


def test_a_plugins_zip_escaping_its_folder_is_refused(session, mwaa, emulator, tmp_path):
    source = make_source("evil-mwaa-source", {"ok.py": AIRFLOW3_DAG}, [MWAA_REQUIREMENTS],
                         plugins_zip({"fine.py": "", "../../outside.py": "print('escaped')\n"}))
    answer(mwaa, environment("evil", source, version="3.0.6", environment_class="mw1.small", options={}))
    with pytest.raises(UnsafeArchive, match="'../../outside.py', which would land outside its folder"):
        import_mwaa(session, "evil", tmp_path / "evil")
    assert nothing_written(tmp_path)
    assert not (tmp_path.parent / "outside.py").exists()


def test_a_folder_that_is_not_empty_is_refused_before_asking_aws(run_cli, tmp_path, emulator):
    root = tmp_path / "busy"
    root.mkdir()
    (root / "notes.txt").write_text("mine\n")
    result = run_cli("import", "mwaa", "analytics-prod", str(root), "--region", REGION)
    assert result.exit_code == 2
    assert f"cannot import into {root}: it exists and is not empty — " in result.stderr
    assert "Traceback" not in result.stderr
    assert sorted(p.name for p in root.iterdir()) == ["notes.txt"]
