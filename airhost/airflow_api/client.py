"""A small client for Airflow's REST API with a bearer token, and the errors it raises.

Every failure is an ``ApiError`` naming what went wrong: the server could not be reached (refused,
timed out, no route), it refused the credentials (401/403), or it answered with another HTTP error
(a 5xx while it starts, a 404 for an unknown DAG). The CLI prints them; none is a traceback.
"""

from __future__ import annotations

import datetime
import email.utils
import json
import socket
import urllib.error
import urllib.request
from typing import Any

from airhost.errors import AirhostError


class ApiError(AirhostError):
    """Airflow's API did not do what was asked."""

    exit_code = 1


class ApiUnreachable(ApiError):
    """No answer from the API server: refused, timed out, or no route to it."""


class ApiUnauthorized(ApiError):
    """The API server refused the credentials or the token (401 or 403)."""


class ApiHttpError(ApiError):
    """The API server answered with an HTTP error other than 401/403."""

    def __init__(self, message: str, *, status: int, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.status = status


def _detail(error: urllib.error.HTTPError) -> str:
    try:
        body = error.read().decode("utf-8", errors="replace")
    except OSError:
        return ""
    try:
        parsed = json.loads(body)
    except ValueError:
        return body.strip()[:200]
    if isinstance(parsed, dict):
        return str(parsed.get("detail") or parsed.get("title") or parsed)[:200]
    return str(parsed)[:200]


def api_error(error: Exception, url: str, what: str) -> ApiError:
    """The ApiError for a failed request to ``url``."""
    if isinstance(error, urllib.error.HTTPError):
        detail = _detail(error)
        said = f": {detail}" if detail else ""
        if error.code in (401, 403):
            return ApiUnauthorized(
                f"Airflow's API at {url} refused {what} (HTTP {error.code}{said})",
                hint="the admin credentials do not match Airflow's users: check the password "
                     "('airhost status ENV --show-password') and the auth manager")
        if error.code >= 500:
            return ApiHttpError(
                f"Airflow's API at {url} failed {what} with HTTP {error.code}{said}",
                status=error.code,
                hint="the API server reports an internal error: read its log ('airhost logs ENV "
                     "api-server')")
        return ApiHttpError(f"Airflow's API at {url} answered {what} with HTTP {error.code}{said}",
                            status=error.code)
    reason = getattr(error, "reason", error)
    if isinstance(reason, (socket.timeout, TimeoutError)) or isinstance(error, TimeoutError):
        return ApiUnreachable(f"Airflow's API at {url} did not answer {what} in time",
                              hint="the API server may be starting or overloaded: try again, or "
                                   "read its log")
    return ApiUnreachable(f"Airflow's API at {url} could not be reached for {what}: {reason}",
                          hint="check that the environment is running ('airhost status ENV')")


class ApiClient:
    """The Airflow REST API with a bearer token, for the few calls airhost makes."""

    def __init__(self, base_url: str, username: str, password: str, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        answer = self._request("POST", "/auth/token", {"username": username, "password": password},
                               token=None, what="the login")
        if not isinstance(answer, dict) or "access_token" not in answer:
            raise ApiHttpError(f"Airflow's API at {self.base_url} answered the login without a "
                               "token", status=200)
        self.token = answer["access_token"]

    def _open(self, request: urllib.request.Request, what: str) -> Any:
        try:
            return urllib.request.urlopen(request, timeout=self.timeout)
        except (urllib.error.URLError, OSError) as error:
            raise api_error(error, self.base_url, what) from None

    def _request(self, method: str, path: str, body: Any = None, *, token: str | None,
                 what: str | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base_url + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        with self._open(request, what or f"{method} {path}") as response:
            raw = response.read()
        try:
            return json.loads(raw) if raw else None
        except ValueError:
            raise ApiHttpError(f"Airflow's API at {self.base_url} answered {method} {path} with "
                               "something that is not JSON", status=200) from None

    def server_time(self) -> datetime.datetime:
        """The API server's clock (its Date header), so waits need not trust the local clock."""
        request = urllib.request.Request(self.base_url + "/api/v2/version")
        request.add_header("Authorization", f"Bearer {self.token}")
        with self._open(request, "GET /api/v2/version") as response:
            return email.utils.parsedate_to_datetime(response.headers["Date"])

    def get(self, path: str) -> Any:
        return self._request("GET", path, token=self.token)

    def post(self, path: str, body: Any) -> Any:
        return self._request("POST", path, body, token=self.token)

    def put(self, path: str, body: Any = None) -> Any:
        return self._request("PUT", path, body, token=self.token)

    def patch(self, path: str, body: Any) -> Any:
        return self._request("PATCH", path, body, token=self.token)
