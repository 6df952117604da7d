"""Airflow's REST API as airhost uses it, for every target: log in, call, read health.

``ApiClient`` logs in through ``POST /auth/token`` and makes the few calls airhost needs; every
failure is an ``ApiError`` that says which one it was (refused, timed out, bad credentials, an
HTTP error from the server), so no caller ever says "not reachable" for a wrong password.
``read_health``/``check_health`` read ``/api/v2/monitor/health``.
"""

from airhost.airflow_api.client import (
    ApiClient, ApiError, ApiHttpError, ApiUnauthorized, ApiUnreachable,
)
from airhost.airflow_api.health import (
    HEALTH_PARTS, HEALTH_PATH, all_healthy, check_health, fetch_health, read_health,
)

__all__ = ["ApiClient", "ApiError", "ApiHttpError", "ApiUnauthorized", "ApiUnreachable",
           "HEALTH_PARTS", "HEALTH_PATH", "all_healthy", "check_health", "fetch_health",
           "read_health"]
