"""Airflow's health endpoint, read through the API server's URL."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from airhost.airflow_api import check_health


@pytest.fixture
def api_server():
    body = {"metadatabase": {"status": "healthy"}, "scheduler": {"status": "unhealthy"},
            "triggerer": {"status": "healthy"}}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            payload = json.dumps(body).encode() if self.path == "/api/v2/monitor/health" else b""
            self.send_response(200 if payload else 404)
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", body
    server.shutdown()


def test_an_unhealthy_component_makes_the_api_unhealthy(api_server):
    url, body = api_server
    health = check_health(url)
    assert health["checked"] and health["healthy"] is False
    assert health["components"]["scheduler"] == "unhealthy"

    body["scheduler"]["status"] = "healthy"
    assert check_health(url + "/")["healthy"] is True


def test_a_private_api_is_not_checked_and_an_unreachable_one_says_so():
    assert check_health(None)["checked"] is False
    unreachable = check_health("http://127.0.0.1:9", timeout=1)
    assert unreachable["checked"] and unreachable["healthy"] is False
    assert "could not be reached" in unreachable["reason"]
