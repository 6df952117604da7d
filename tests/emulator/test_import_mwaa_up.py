"""An imported Airflow 3 MWAA environment comes up locally with real Airflow, its DAGs parsed."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import pytest
from botocore.stub import Stubber

from airhost.aws.session import AwsSession
from airhost.mwaa.importer import import_mwaa
from tests.airflow.conftest import airhost
from tests.emulator.moto_gaps import REGION
from tests.emulator.mwaa_source import airflow3_environment, analytics_source

pytestmark = [pytest.mark.emulator, pytest.mark.airflow, pytest.mark.timeout(1200)]


@pytest.fixture
def imported(emulator):
    """The imported project, in a folder the local PostgreSQL's user may enter."""
    source = analytics_source()
    folder = Path(tempfile.mkdtemp(prefix="airhost-mwaa-", dir="/tmp"))
    os.chmod(folder, 0o755)
    root = folder / "analytics"
    session = AwsSession(REGION)
    stubber = Stubber(session.client("mwaa"))
    stubber.add_response("get_environment", {"Environment": airflow3_environment(source)},
                         {"Name": "analytics-prod"})
    with stubber:
        import_mwaa(session, "analytics-prod", root)
    yield root
    airhost("down", "--config", str(root), check=False)
    shutil.rmtree(folder, ignore_errors=True)


def test_the_imported_project_runs_locally_with_its_dags_and_plugins(imported):
    airhost("validate", "--config", str(imported))
    airhost("up", "--config", str(imported))
    deadline = time.monotonic() + 120
    while True:
        listed = json.loads(airhost("dags", "list", "--config", str(imported), "--output", "json").stdout)
        dag_ids = {dag["dag_id"] for dag in listed["dags"]}
        if {"orders_daily", "customers_hourly"} <= dag_ids or time.monotonic() > deadline:
            break
        time.sleep(2)
    # both DAGs import shout() from the helpers module that came in plugins.zip
    assert {"orders_daily", "customers_hourly"} <= dag_ids, listed
    assert listed["import_errors"] == []
