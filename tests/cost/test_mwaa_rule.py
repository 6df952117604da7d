"""Which MWAA class is "of equal capacity", and what MWAA adds beyond what a class includes."""

from __future__ import annotations

import pytest

from airhost.config.models import Environment
from airhost.cost import choose_class, estimate


def ecs_env(**sections) -> Environment:
    return Environment.model_validate({"name": "prod", "project": "analytics", "target": "ecs",
                                       "region": "us-east-1", **sections})


def size(cpu: int, memory: int) -> dict:
    return {"cpu": cpu, "memory": memory}


@pytest.mark.parametrize("sections, expected", [
    ({}, "mw1.micro"),  # one 1 vCPU task: micro's 1 vCPU scheduler-and-worker
    ({"ecs": {"sizes": {"standalone": size(512, 2048)}}}, "mw1.micro"),
    ({"ecs": {"sizes": {"standalone": size(2048, 8192)}}}, "mw1.medium"),  # 2 vCPU
    ({"ecs": {"topology": "split"}}, "mw1.small"),  # scheduler 1 vCPU, tasks inside it
    ({"ecs": {"topology": "split", "sizes": {"scheduler": size(4096, 8192)}}}, "mw1.large"),
    ({"ecs": {"topology": "split", "sizes": {"scheduler": size(16384, 32768)}}}, "mw1.2xlarge"),
    # the default worker decides with Celery: workers.size first, then ecs.sizes.worker
    ({"airflow": {"executor": "celery"}, "ecs": {"topology": "split", "image": "ecr"}}, "mw1.small"),
    ({"airflow": {"executor": "celery"}, "ecs": {"topology": "split", "image": "ecr", "sizes": {"worker": size(2048, 4096)}}},
     "mw1.medium"),
    ({"airflow": {"executor": "celery"}, "ecs": {"topology": "split", "image": "ecr"},
      "workers": {"size": size(8192, 16384)}}, "mw1.xlarge"),
    ({"airflow": {"executor": "ecs"}, "ecs": {"topology": "split", "sizes": {"worker": size(4096, 8192)}}},
     "mw1.large"),
])
def test_class_is_the_smallest_covering_scheduler_and_worker_vcpu(sections, expected):
    assert choose_class(ecs_env(**sections)).name == expected


def mwaa_lines(env: Environment, table) -> dict[str, dict]:
    data = estimate(env, table.region("us-east-1")).to_json()
    return {line["line"]: line for line in data["mwaa"]["lines"]}


def test_extra_workers_count_our_worker_vcpu_up_to_25(table):
    env = ecs_env(airflow={"executor": "celery"}, ecs={"topology": "split", "image": "ecr"},
                  workers={"min": 2, "max": 40, "queues": {"big": {"max": 3, "size": size(2048, 4096)}}})
    lines = mwaa_lines(env, table)
    extra = lines["MWAA additional workers"]
    # mw1.small (1 vCPU): now 2 workers, 1 beyond the included; at max 40 + ceil(3 × 2 / 1) = 46 → 25.
    assert extra["monthly"] == pytest.approx(1 * 730 * 0.055, abs=0.01)
    assert extra["monthly_at_max"] == pytest.approx(24 * 730 * 0.055, abs=0.01)


def test_schedulers_and_api_servers_beyond_two_are_billed(table):
    env = ecs_env(ecs={"topology": "split", "schedulers": 4, "api_servers": 3})
    lines = mwaa_lines(env, table)
    assert lines["MWAA additional schedulers"]["monthly"] == pytest.approx(2 * 730 * 0.055, abs=0.01)
    assert lines["MWAA additional web servers"]["monthly"] == pytest.approx(1 * 730 * 0.028, abs=0.01)
    assert "MWAA additional workers" not in lines  # the local executor runs tasks in the scheduler


def test_micro_has_nothing_extra(table):
    lines = mwaa_lines(ecs_env(), table)
    assert set(lines) == {"MWAA environment mw1.micro", "MWAA meta-database storage"}


def test_an_imported_environment_is_compared_with_the_mwaa_environment_it_ran_as(table):
    # airhost's own sizing would pick mw1.micro for this one-task environment; the record says medium.
    env = ecs_env(mwaa={"environment": "analytics-prod", "environment_class": "mw1.medium",
                        "min_workers": 2, "max_workers": 10, "schedulers": 3,
                        "min_webservers": 2, "max_webservers": 4})
    data = estimate(env, table.region("us-east-1")).to_json()["mwaa"]
    lines = {line["line"]: line for line in data["lines"]}
    assert data["class"] == "mw1.medium"
    assert (data["workers"], data["workers_at_max"]) == (2, 10)
    # us-east-1, 730 h: medium $0.74/h; extra worker and scheduler $0.11/h; web server $0.055/h
    assert lines["MWAA environment mw1.medium"]["monthly"] == pytest.approx(540.20, abs=0.01)
    assert lines["MWAA additional workers"]["monthly"] == pytest.approx(80.30, abs=0.01)  # 1 beyond
    assert lines["MWAA additional workers"]["monthly_at_max"] == pytest.approx(722.70, abs=0.01)  # 9
    assert lines["MWAA additional schedulers"]["monthly"] == pytest.approx(80.30, abs=0.01)  # 3rd
    assert lines["MWAA additional web servers"]["monthly"] == pytest.approx(0.0, abs=0.01)
    assert lines["MWAA additional web servers"]["monthly_at_max"] == pytest.approx(80.30, abs=0.01)
    storage = lines["MWAA meta-database storage"]["monthly"]
    assert data["total_monthly"] >= 540.20 + 80.30 + 80.30 + storage
