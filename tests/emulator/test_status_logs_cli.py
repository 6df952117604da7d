"""`airhost status` and `airhost logs` on an ECS environment, as a user types them."""

from __future__ import annotations

import json

import pytest

from tests.emulator.test_operate import _log

pytestmark = pytest.mark.emulator


def test_status_json_of_a_deployed_environment(shop, run_cli):
    shop.deploy()
    result = run_cli("status", "prod", "--config", str(shop.root), "--output", "json")
    assert result.exit_code == 0, result.stderr
    status = json.loads(result.stdout)
    assert status["deployed"] is True
    assert {s["layer"]: s["status"] for s in status["stacks"]}["data"].endswith("COMPLETE")
    assert status["release"]["airflow_version"] == "3.1.3"


def test_status_table_and_not_deployed(shop, run_cli):
    before = run_cli("status", "split", "--config", str(shop.root))
    assert before.exit_code == 0
    assert "not deployed" in before.stdout.lower()


def test_logs_of_a_component_through_the_cli(shop, run_cli):
    shop.deploy()
    group = shop.aws().ecs_facts.log_group
    _log(group, "standalone/airflow/t1", ["scheduler heartbeat", "ERROR broken thing"])
    result = run_cli("logs", "prod", "standalone", "--config", str(shop.root), "--filter", "ERROR")
    assert result.exit_code == 0, result.stderr
    assert "broken thing" in result.stdout and "heartbeat" not in result.stdout
    unknown = run_cli("logs", "prod", "webserver", "--config", str(shop.root))
    assert unknown.exit_code == 2 and "standalone" in unknown.stderr
