"""Airflow's health as its API server reports it, and a small client for the REST API.

The API server's ``/api/v2/monitor/health`` reports the metadatabase, scheduler, triggerer and
dag processor; the API server itself is healthy when it answers.
"""

from __future__ import annotations

import datetime
import email.utils
import json
import socket
import urllib.error
import urllib.request
from typing import Any

HEALTH_PATH = "/api/v2/monitor/health"
HEALTH_PARTS = ("metadatabase", "scheduler", "triggerer", "dag_processor")


def fetch_health(base_url: str, timeout: float) -> dict[str, Any]:
    """The API server's health document; URLError, OSError or ValueError when it does not answer."""
    with urllib.request.urlopen(base_url.rstrip("/") + HEALTH_PATH, timeout=timeout) as response:
        return json.loads(response.read().decode("utf-8") or "{}")


def read_health(base_url: str, timeout: float = 3.0) -> dict[str, str]:
    """Each part's status ('healthy', 'unhealthy', 'unknown'); all 'unreachable' if no answer."""
    try:
        body = fetch_health(base_url, timeout)
    except (urllib.error.URLError, OSError, ValueError):
        return {"api_server": "unreachable", **{part: "unknown" for part in HEALTH_PARTS}}
    result = {"api_server": "healthy"}
    for part in HEALTH_PARTS:
        result[part] = (body.get(part) or {}).get("status") or "unknown"
    return result


def all_healthy(health: dict[str, str], parts: tuple[str, ...] = ("api_server",) + HEALTH_PARTS) -> bool:
    return all(health.get(part) == "healthy" for part in parts)


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def free_port(preferred: int | None = None, host: str = "127.0.0.1") -> int:
    """``preferred`` when free, else the next free one after it, else any free port."""
    if preferred:
        for port in range(preferred, min(preferred + 100, 65536)):
            if port_is_free(port, host):
                return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


class ApiClient:
    """The Airflow REST API with a bearer token, for the few calls airhost makes."""

    def __init__(self, base_url: str, username: str, password: str, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        token = self._request("POST", "/auth/token", {"username": username, "password": password},
                              token=None)
        self.token = token["access_token"]

    def _request(self, method: str, path: str, body: Any = None, *, token: str | None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base_url + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            raw = response.read()
        return json.loads(raw) if raw else None

    def server_time(self) -> datetime.datetime:
        """The API server's clock (its Date header), so waits need not trust the local clock."""
        request = urllib.request.Request(self.base_url + "/api/v2/version")
        request.add_header("Authorization", f"Bearer {self.token}")
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            return email.utils.parsedate_to_datetime(response.headers["Date"])

    def get(self, path: str) -> Any:
        return self._request("GET", path, token=self.token)

    def post(self, path: str, body: Any) -> Any:
        return self._request("POST", path, body, token=self.token)

    def put(self, path: str, body: Any = None) -> Any:
        return self._request("PUT", path, body, token=self.token)

    def patch(self, path: str, body: Any) -> Any:
        return self._request("PATCH", path, body, token=self.token)
