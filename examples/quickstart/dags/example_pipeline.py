"""An example pipeline: extract, transform and load a few numbers."""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task


@dag(
    schedule=None,
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    tags=["example"],
)
def example_pipeline():
    @task
    def extract() -> list[int]:
        return [1, 2, 3, 4]

    @task
    def transform(numbers: list[int]) -> int:
        return sum(n * n for n in numbers)

    @task
    def load(total: int) -> None:
        print(f"example_pipeline loaded total={total}")

    load(transform(extract()))


example_pipeline()
