"""Airflow's own health endpoint, through the API server, where this machine can reach it."""

from __future__ import annotations

import urllib.error
from typing import Any

from airhost.local.health import HEALTH_PATH, fetch_health


def check_health(url: str | None, *, timeout: float = 5.0) -> dict[str, Any]:
    """{"checked": bool, "healthy": bool|None, "components": {...}, "reason": str}."""
    if not url:
        return {"checked": False, "healthy": None, "components": {},
                "reason": "the API server is private: reach it through the VPC (or tailscale)"}
    target = url.rstrip("/") + HEALTH_PATH
    try:
        body = fetch_health(url, timeout)
    except (urllib.error.URLError, OSError, ValueError) as error:
        return {"checked": True, "healthy": False, "components": {},
                "reason": f"{target} did not answer: {error}"}
    components = {name: (value or {}).get("status", "unknown") for name, value in body.items()
                  if isinstance(value, dict)}
    healthy = bool(components) and all(status == "healthy" for status in components.values())
    return {"checked": True, "healthy": healthy, "components": components, "reason": target}
