"""The migration report as people read it: the printed table, MIGRATION.md, and its JSON."""

from __future__ import annotations

from airhost.cli.imports import print_report
from airhost.mwaa.airflow3 import Finding
from airhost.mwaa.report import MigrationReport, to_markdown
from airhost.mwaa.translate import translate

ENVIRONMENT = {
    "Name": "finance", "AirflowVersion": "2.10.3", "EnvironmentClass": "mw1.large",
    "SourceBucketArn": "arn:aws:s3:::finance-source", "DagS3Path": "dags",
    "StartupScriptS3Path": "startup.sh", "WebserverAccessMode": "PUBLIC_ONLY",
    "ExecutionRoleArn": "arn:aws:iam::123456789012:role/finance-exec",
    "NetworkConfiguration": {"SubnetIds": ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"]},
    "AirflowConfigurationOptions": {"core.dag_concurrency": "32", "webserver.base_url": "https://x"},
}


def report() -> MigrationReport:
    translation = translate(ENVIRONMENT, region="eu-west-1", vpc_id="vpc-0a1b2c3d")
    findings = [Finding("dags/legacy.py", 11, 20, "AIR301", "`schedule_interval` is removed in Airflow 3.0",
                        True)]
    return MigrationReport("finance", "eu-west-1", "finance", "/tmp/finance", "2.10.3", "3.3.2",
                           translation.rows, findings, {"dags": 1})


def test_the_printed_report_lists_every_setting_and_each_finding_by_file_and_line(capsys):
    print_report(report().to_json())
    out = capsys.readouterr().out
    for setting in ("AirflowVersion", "EnvironmentClass", "WebserverAccessMode", "ExecutionRoleArn",
                    "StartupScriptS3Path", "core.dag_concurrency"):
        assert setting in out
    assert "dags/legacy.py:11: AIR301 `schedule_interval` is removed in Airflow 3.0 (fixable)" in out
    assert "3 thing(s) to do by hand" in out  # public web server, execution role, startup script


def test_migration_md_has_the_settings_the_to_do_list_and_the_findings():
    text = to_markdown(report())
    assert "| AirflowConfigurationOptions core.dag_concurrency | 32 | airflow.config " \
           "core.max_active_tasks_per_dag | changed |" in text
    assert "## To do by hand" in text and "**WebserverAccessMode** (PUBLIC_ONLY)" in text
    assert "| dags/legacy.py:11 | AIR301 |" in text
