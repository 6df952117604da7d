"""Airflow's REST API client: each way a call can fail is said as what it is."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from airhost.airflow_api import (
    ApiClient, ApiHttpError, ApiUnauthorized, ApiUnreachable, check_health,
)
from airhost.local.ports import free_port


@pytest.fixture
def server():
    """An API server whose answers the test sets: {path: (status, body, delay)}."""
    answers: dict[str, tuple[int, object, float]] = {}

    class Handler(BaseHTTPRequestHandler):
        def _answer(self):
            status, body, delay = answers.get(self.path.split("?")[0], (404, {"detail": "Not Found"}, 0))
            time.sleep(delay)
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = _answer  # noqa: N815 (http.server's names)

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", answers
    httpd.shutdown()


def test_a_wrong_password_is_called_a_refused_login(server):
    url, answers = server
    answers["/auth/token"] = (401, {"detail": "Invalid credentials"}, 0)
    with pytest.raises(ApiUnauthorized) as refused:
        ApiClient(url, "admin", "wrong")
    message = str(refused.value)
    assert "refused the login (HTTP 401: Invalid credentials)" in message
    assert "password" in message and "could not be reached" not in message


def test_a_server_error_says_which_and_where_to_look(server):
    url, answers = server
    answers["/auth/token"] = (200, {"access_token": "t"}, 0)
    answers["/api/v2/dags"] = (500, {"detail": "Internal Server Error"}, 0)
    client = ApiClient(url, "admin", "right")
    with pytest.raises(ApiHttpError) as failed:
        client.get("/api/v2/dags")
    assert failed.value.status == 500
    assert "failed GET /api/v2/dags with HTTP 500" in str(failed.value)
    assert "api-server" in str(failed.value)


def test_refused_and_timed_out_are_unreachable_each_in_its_words(server):
    url, answers = server
    with pytest.raises(ApiUnreachable, match="could not be reached for the login"):
        ApiClient(f"http://127.0.0.1:{free_port()}", "admin", "x", timeout=2)
    answers["/auth/token"] = (200, {"access_token": "t"}, 3.0)
    with pytest.raises(ApiUnreachable, match="did not answer the login in time"):
        ApiClient(url, "admin", "x", timeout=0.5)


def test_health_reports_an_http_error_as_unhealthy_with_the_reason(server):
    url, answers = server
    answers["/api/v2/monitor/health"] = (503, {"detail": "starting"}, 0)
    health = check_health(url)
    assert health["checked"] and health["healthy"] is False
    assert "HTTP 503" in health["reason"]


def test_an_unhealthy_component_makes_the_api_unhealthy(server):
    url, answers = server
    body = {"metadatabase": {"status": "healthy"}, "scheduler": {"status": "unhealthy"},
            "triggerer": {"status": "healthy"}}
    answers["/api/v2/monitor/health"] = (200, body, 0)
    health = check_health(url)
    assert health["checked"] and health["healthy"] is False
    assert health["components"]["scheduler"] == "unhealthy"

    body["scheduler"]["status"] = "healthy"
    assert check_health(url + "/")["healthy"] is True


def test_a_private_api_is_not_checked_and_an_unreachable_one_says_so():
    assert check_health(None)["checked"] is False
    unreachable = check_health(f"http://127.0.0.1:{free_port()}", timeout=1)
    assert unreachable["checked"] and unreachable["healthy"] is False
    assert "could not be reached" in unreachable["reason"]
