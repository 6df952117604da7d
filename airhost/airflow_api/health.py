"""Airflow's health as its API server reports it, read the same way for every target.

``/api/v2/monitor/health`` reports the metadatabase, scheduler, triggerer and dag processor; the
API server itself is healthy when it answers. ``read_health`` gives each part's state (the local
wait loop); ``check_health`` the JSON-able verdict ``deploy`` and ``status`` show.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from airhost.airflow_api.client import ApiError, api_error

HEALTH_PATH = "/api/v2/monitor/health"
HEALTH_PARTS = ("metadatabase", "scheduler", "triggerer", "dag_processor")


def fetch_health(base_url: str, timeout: float) -> dict[str, Any]:
    """The API server's health document; an ApiError when it does not answer with one."""
    url = base_url.rstrip("/") + HEALTH_PATH
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            body = json.loads(response.read().decode("utf-8") or "{}")
    except ValueError:
        raise api_error(ValueError("not JSON"), base_url, "the health check") from None
    except (urllib.error.URLError, OSError) as error:
        raise api_error(error, base_url, "the health check") from None
    return body if isinstance(body, dict) else {}


def read_health(base_url: str, timeout: float = 3.0) -> dict[str, str]:
    """Each part's status ('healthy', 'unhealthy', 'unknown'); all 'unreachable' if no answer."""
    try:
        body = fetch_health(base_url, timeout)
    except ApiError:
        return {"api_server": "unreachable", **{part: "unknown" for part in HEALTH_PARTS}}
    result = {"api_server": "healthy"}
    for part in HEALTH_PARTS:
        result[part] = (body.get(part) or {}).get("status") or "unknown"
    return result


def all_healthy(health: dict[str, str],
                parts: tuple[str, ...] = ("api_server",) + HEALTH_PARTS) -> bool:
    return all(health.get(part) == "healthy" for part in parts)


def check_health(url: str | None, *, timeout: float = 5.0) -> dict[str, Any]:
    """{"checked": bool, "healthy": bool|None, "components": {...}, "reason": str}."""
    if not url:
        return {"checked": False, "healthy": None, "components": {},
                "reason": "the API server is private: reach it through the VPC (or tailscale)"}
    target = url.rstrip("/") + HEALTH_PATH
    try:
        body = fetch_health(url, timeout)
    except ApiError as error:
        return {"checked": True, "healthy": False, "components": {}, "reason": error.message}
    components = {name: (value or {}).get("status", "unknown") for name, value in body.items()
                  if isinstance(value, dict)}
    healthy = bool(components) and all(status == "healthy" for status in components.values())
    return {"checked": True, "healthy": healthy, "components": components, "reason": target}
