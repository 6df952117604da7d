"""What airhost supports: Airflow and Python versions, and the database engine versions.

Kept in one place so that validation, rendering and upgrades agree on it.
"""

from __future__ import annotations

import re

# Airflow 3 only: the DAG bundles, the API server and the task execution API airhost relies on
# arrived in 3.0.
AIRFLOW_MAJOR = 3
AIRFLOW_MIN_MINOR = 0
DEFAULT_AIRFLOW_VERSION = "3.3.2"

# The official image is published for these Python versions.
PYTHON_VERSIONS = ("3.10", "3.11", "3.12", "3.13")
DEFAULT_PYTHON = "3.12"

# RDS PostgreSQL major versions Airflow 3 supports; the newest is the default.
POSTGRES_VERSIONS = ("14", "15", "16", "17")
DEFAULT_POSTGRES_VERSION = "17"

_VERSION = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")


def parse_airflow_version(text: str) -> tuple[int, int, int]:
    """Return (major, minor, patch) or raise ValueError saying why the version is not supported."""
    match = _VERSION.match(text.strip())
    if not match:
        raise ValueError(f"'{text}' is not a release version like {DEFAULT_AIRFLOW_VERSION}")
    major, minor, patch = (int(part) for part in match.groups())
    if major != AIRFLOW_MAJOR:
        raise ValueError(
            f"Airflow {text} is not supported: airhost runs Airflow {AIRFLOW_MAJOR}.x "
            f"(for example {DEFAULT_AIRFLOW_VERSION})"
        )
    return major, minor, patch


def official_image(version: str, python: str) -> str:
    """The official Airflow image tag for a version and Python."""
    return f"apache/airflow:{version}-python{python}"
