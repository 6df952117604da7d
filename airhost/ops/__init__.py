"""Operating an environment, written once over the target seam: status, scale, DAGs, backups.

Each module is a few plain functions over a ``Deployment`` (``airhost.targets``), reporting
through a ``Progress`` and returning typed results or JSON-able data; the CLI only parses and
prints.
"""
