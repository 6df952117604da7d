"""Code that runs inside an environment's Airflow virtualenv, with only the standard library and Airflow."""
