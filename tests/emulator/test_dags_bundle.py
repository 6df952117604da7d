"""DAG bundles in S3 on the emulator: what `dags push` uploads, and real Airflow reading it."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import boto3
import pytest

from tests.airflow.conftest import Airflow, airhost
from tests.emulator.conftest import Deployed

pytestmark = [pytest.mark.emulator, pytest.mark.airflow]

EXAMPLE = (Path(__file__).resolve().parents[2] / "airhost" / "scaffold" / "dags" /
           "example_pipeline.py").read_text()


def _objects(bucket: str, prefix: str) -> dict[str, str]:
    listed = boto3.client("s3").list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
    return {item["Key"]: item["ETag"] for item in listed}


def test_push_to_an_ecs_environment_uploads_only_changes(emulator, write_project, run_cli):
    root = write_project("""\
        project: shop
        region: eu-west-1
        airflow: {version: "3.3.2", python: "3.11"}
        environments:
          prod: {target: ecs}
        """)
    (root / "dags" / "example_pipeline.py").write_text(EXAMPLE)
    (root / "dags" / "helpers.py").write_text("VALUE = 1\n")
    emulator.script("db migrate", lines=["Database migrating done!"])
    Deployed(root).deploy("prod")
    bucket = Deployed(root).aws("prod").ecs_facts.buckets["DagsBucket"]

    first = run_cli("dags", "push", "prod", "--config", str(root), "--output", "json")
    assert first.exit_code == 0, first.stderr
    assert json.loads(first.stdout)["sync"]["added"] == ["example_pipeline.py", "helpers.py"]
    assert "not reachable from here" in first.stderr  # private access: no waiting, said plainly
    listed = run_cli("dags", "list", "prod", "--config", str(root))
    assert listed.exit_code == 1 and "API server is not reachable from here" in listed.stderr
    assert "airhost run prod -- dags list" in listed.stderr
    before = _objects(bucket, "dags/")
    assert set(before) == {"dags/example_pipeline.py", "dags/helpers.py"}

    (root / "dags" / "helpers.py").write_text("VALUE = 2\n")
    second = json.loads(run_cli("dags", "push", "prod", "--config", str(root), "-o", "json").stdout)
    assert second["sync"] == {"added": [], "changed": ["helpers.py"], "deleted": [], "unchanged": 1}
    after = _objects(bucket, "dags/")
    assert after["dags/example_pipeline.py"] == before["dags/example_pipeline.py"]
    assert after["dags/helpers.py"] != before["dags/helpers.py"]

    (root / "dags" / "helpers.py").unlink()
    (root / "dags" / "broken.py").write_text("from airflow.sdk import dag\nimport not_a_module\n")
    refused = run_cli("dags", "push", "prod", "--config", str(root))
    assert refused.exit_code == 1 and "broken.py:2" in refused.stderr
    assert set(_objects(bucket, "dags/")) == {"dags/example_pipeline.py", "dags/helpers.py"}
    (root / "dags" / "broken.py").unlink()
    third = json.loads(run_cli("dags", "push", "prod", "--config", str(root), "-o", "json").stdout)
    assert third["sync"]["deleted"] == ["helpers.py"]
    assert set(_objects(bucket, "dags/")) == {"dags/example_pipeline.py"}


@pytest.fixture
def s3_project(emulator):
    """A local project whose Airflow reads its DAG bundle from a bucket on the emulator."""
    boto3.client("s3").create_bucket(Bucket="bundle-rehearsal",
                                     CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    folder = Path(tempfile.mkdtemp(prefix="airhost-s3-", dir="/tmp"))
    os.chmod(folder, 0o755)
    root = folder / "project"
    airhost("init", str(root), "--name", "rehearsal")
    text = (root / "airhost.yaml").read_text().replace(
        "      port: 8080", "      port: 8794\n      dag_bucket: s3://bundle-rehearsal/dags")
    (root / "airhost.yaml").write_text(text)
    yield root
    airhost("down", "--config", str(root), check=False)
    shutil.rmtree(folder, ignore_errors=True)


def test_real_airflow_reads_its_s3_bundle_from_the_emulator(s3_project):
    root = s3_project
    airhost("up", "--config", str(root))  # the AWS_* variables reach Airflow through the environment
    airflow = Airflow(root)

    pushed = json.loads(airhost("dags", "push", "--config", str(root), "-o", "json").stdout)
    assert pushed["sync"]["added"] == ["example_pipeline.py"]
    assert pushed["dags"] == {"example_pipeline": "new"}
    assert set(_objects("bundle-rehearsal", "dags/")) == {"dags/example_pipeline.py"}
    assert airflow.run_dag("example_pipeline")["state"] == "success"

    path = root / "dags" / "example_pipeline.py"
    path.write_text(path.read_text().replace("def load(", "def store(").replace("load(transform",
                                                                                "store(transform"))
    changed = json.loads(airhost("dags", "push", "--config", str(root), "-o", "json").stdout)
    assert changed["dags"] == {"example_pipeline": "parsed"}
    assert "def store(" in airflow.client.get("/api/v2/dagSources/example_pipeline")["content"]

    path.unlink()
    removed = json.loads(airhost("dags", "push", "--config", str(root), "-o", "json").stdout)
    assert removed["dags"] == {"example_pipeline": "removed"}
    assert _objects("bundle-rehearsal", "dags/") == {}
