"""The local target's machinery: a virtualenv, an embedded PostgreSQL, supervised components.

``environment.LocalEnvironment`` runs ``up``/``down``/``status`` for one environment; the rest are
its parts (paths, secrets, ports, PostgreSQL, the process manager, logs, backups, DAG bundle).
"""
