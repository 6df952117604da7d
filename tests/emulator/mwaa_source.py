"""MWAA environments as GetEnvironment returns them, and their source buckets on the emulator.

The MWAA answers go through botocore's Stubber, which checks every request and response against
AWS's own MWAA API model; the bucket (versioned, as MWAA requires) and the VPC live in the moto
server, where the importer reads them the ordinary way.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone

import boto3

from tests.emulator.moto_gaps import REGION

ACCOUNT = "123456789012"

AIRFLOW3_DAG = '''\
from datetime import datetime

from airflow.sdk import dag, task

from helpers.text import shout


@dag(dag_id="orders_daily", schedule="@daily", start_date=datetime(2025, 1, 1), catchup=False)
def orders_daily():
    @task
    def load():
        return shout("orders")

    load()


orders_daily()
'''

AIRFLOW3_SECOND_DAG = AIRFLOW3_DAG.replace("orders_daily", "customers_hourly").replace("@daily", "@hourly")

# An Airflow 2 DAG as MWAA users wrote them: each line below is something Airflow 3 changed.
AIRFLOW2_DAG = '''\
from airflow import DAG
from airflow.operators.python import PythonOperator
from airflow.operators.bash_operator import BashOperator
from airflow.utils.dates import days_ago


def report(**context):
    print(context["execution_date"])


with DAG("legacy_report", schedule_interval="@daily", start_date=days_ago(1)) as dag:
    PythonOperator(task_id="report", python_callable=report)
    BashOperator(task_id="archive", bash_command="echo archived")
'''

HELPERS = "def shout(text):\n    return text.upper()\n"
PLUGIN = '''\
from airflow.plugins_manager import AirflowPlugin


class AnalyticsPlugin(AirflowPlugin):
    name = "analytics"
'''


def plugins_zip(entries: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in entries.items():
            archive.writestr(name, text)
    return buffer.getvalue()


@dataclass
class SourceBucket:
    """A versioned MWAA source bucket on the emulator and the versions MWAA was told to use."""

    name: str
    requirements_version: str
    plugins_version: str
    startup_version: str
    subnets: list[str]
    vpc_id: str


def make_source(bucket: str, dags: dict[str, str], requirements: list[str],
                plugins: dict[str, str] | bytes) -> SourceBucket:
    """Upload dags, each requirements text in turn (the first is the one MWAA uses), plugins.zip."""
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    for key, text in dags.items():
        s3.put_object(Bucket=bucket, Key=f"dags/{key}", Body=text.encode())
    versions = [s3.put_object(Bucket=bucket, Key="requirements.txt", Body=text.encode())["VersionId"]
                for text in requirements]
    data = plugins if isinstance(plugins, bytes) else plugins_zip(plugins)
    plugins_version = s3.put_object(Bucket=bucket, Key="plugins.zip", Body=data)["VersionId"]
    startup = s3.put_object(Bucket=bucket, Key="startup.sh",
                            Body=b"#!/bin/sh\nexport REPORTS_TEAM=finance\nsudo yum install -y libaio\n")
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.20.{n}.0/24",
                                 AvailabilityZone=f"{REGION}{zone}")["Subnet"]["SubnetId"]
               for n, zone in ((1, "a"), (2, "b"))]
    return SourceBucket(bucket, versions[0], plugins_version, startup["VersionId"], subnets, vpc)


def environment(name: str, source: SourceBucket, *, version: str, environment_class: str,
                options: dict[str, str], access: str = "PRIVATE_ONLY", startup: bool = False,
                **counts: int) -> dict:
    """GetEnvironment's ``Environment`` for an environment reading ``source``."""
    log = {"Enabled": True, "LogLevel": "INFO",
           "CloudWatchLogGroupArn": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:airflow-{name}-Task"}
    described = {
        "Name": name, "Status": "AVAILABLE",
        "Arn": f"arn:aws:airflow:{REGION}:{ACCOUNT}:environment/{name}",
        "CreatedAt": datetime(2024, 3, 1, tzinfo=timezone.utc),
        "WebserverUrl": f"0123abcd-{name}.c2.{REGION}.airflow.amazonaws.com",
        "ExecutionRoleArn": f"arn:aws:iam::{ACCOUNT}:role/service-role/AmazonMWAA-{name}-exec",
        "ServiceRoleArn": f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/airflow.amazonaws.com/"
                          "AWSServiceRoleForAmazonMWAA",
        "AirflowVersion": version, "EnvironmentClass": environment_class,
        "SourceBucketArn": f"arn:aws:s3:::{source.name}", "DagS3Path": "dags",
        "RequirementsS3Path": "requirements.txt", "RequirementsS3ObjectVersion": source.requirements_version,
        "PluginsS3Path": "plugins.zip", "PluginsS3ObjectVersion": source.plugins_version,
        "AirflowConfigurationOptions": options,
        "NetworkConfiguration": {"SubnetIds": source.subnets, "SecurityGroupIds": ["sg-0a1b2c3d4e5f60718"]},
        "LoggingConfiguration": {"TaskLogs": log, "SchedulerLogs": {**log, "LogLevel": "WARNING"}},
        "WeeklyMaintenanceWindowStart": "SUN:03:00", "Tags": {"team": "analytics"},
        "WebserverAccessMode": access, "EndpointManagement": "SERVICE",
        "CeleryExecutorQueue": f"arn:aws:sqs:{REGION}:{ACCOUNT}:airflow-celery-{name}",
        **counts,
    }
    if startup:
        described["StartupScriptS3Path"] = "startup.sh"
        described["StartupScriptS3ObjectVersion"] = source.startup_version
    return described


WAREHOUSE_POLICY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["redshift-data:ExecuteStatement"], "Resource": "*"}]}


def make_execution_role(environment_name: str) -> str:
    """The environment's execution role on the emulator: one managed and one inline policy."""
    iam = boto3.client("iam", region_name=REGION)
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
             "Principal": {"Service": ["airflow.amazonaws.com", "airflow-env.amazonaws.com"]}}]}
    name = f"AmazonMWAA-{environment_name}-exec"
    arn = iam.create_role(RoleName=name, Path="/service-role/",
                          AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    read = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::analytics-lake/*"}]}
    policy = iam.create_policy(PolicyName="analytics-lake-read", PolicyDocument=json.dumps(read))
    iam.attach_role_policy(RoleName=name, PolicyArn=policy["Policy"]["Arn"])
    iam.put_role_policy(RoleName=name, PolicyName="warehouse-access", PolicyDocument=json.dumps(WAREHOUSE_POLICY))
    return arn


MWAA_REQUIREMENTS = "# the version MWAA runs\n"
NEWER_REQUIREMENTS = "package-uploaded-after-the-last-mwaa-update==9.9.9\n"
AIRFLOW3_OPTIONS = {
    "core.default_timezone": "utc",
    "core.max_active_runs_per_dag": "4",
    "celery.worker_autoscale": "16,8",
    "secrets.backend": "airflow.providers.amazon.aws.secrets.secrets_manager.SecretsManagerBackend",
    "secrets.backend_kwargs": '{"connections_prefix": "airflow/connections", '
                              '"variables_prefix": "airflow/variables"}',
    "logging.remote_logging": "True",
    "metrics.statsd_on": "True",
}


def analytics_source() -> SourceBucket:
    """The bucket, VPC and execution role of an Airflow 3 environment, analytics-prod."""
    make_execution_role("analytics-prod")
    return make_source("analytics-mwaa-source",
                       {"orders.py": AIRFLOW3_DAG, "customers.py": AIRFLOW3_SECOND_DAG,
                        "sql/orders.sql": "select * from orders\n"},
                       [MWAA_REQUIREMENTS, NEWER_REQUIREMENTS],
                       {"helpers/__init__.py": "", "helpers/text.py": HELPERS, "analytics_plugin.py": PLUGIN})


def airflow3_environment(source) -> dict:
    return environment("analytics-prod", source, version="3.0.6", environment_class="mw1.medium",
                       options=AIRFLOW3_OPTIONS, MinWorkers=2, MaxWorkers=8, Schedulers=2,
                       MinWebservers=2, MaxWebservers=3)
