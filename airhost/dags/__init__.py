"""Shipping DAGs: check them with the environment's Airflow, sync only what changed, wait for Airflow."""
