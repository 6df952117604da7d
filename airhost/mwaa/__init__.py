"""Leaving Amazon MWAA: an MWAA environment becomes an airhost project.

``translate`` is pure (the environment as MWAA's GetEnvironment describes it → airhost.yaml data and
the report's rows), ``options`` translates its Airflow configuration options, ``classes`` holds what
MWAA documents for each environment class, ``airflow3`` runs ruff's Airflow 3 rules over imported
code, ``report`` formats the migration report, and ``importer`` does the reading and writing.
"""
