"""A DAG to prove the environment runs tasks."""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task


@dag(schedule=None, start_date=pendulum.datetime(2025, 1, 1, tz="UTC"), catchup=False, tags=["example"])
def example() -> None:
    @task
    def hello() -> str:
        return "hello from ECS"

    hello()


example()
