"""Pieces of the local target that need no running Airflow."""

from __future__ import annotations

import configparser
import os
import socket
import stat

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from airhost.config.loader import validate_project
from airhost.errors import ConfigError
from airhost.local import python_env
from airhost.local.components import environment_file, local_site, programs
from airhost.local.ports import free_port, port_is_free
from airhost.local.paths import LocalPaths
from airhost.local.reaper import parse_payload
from airhost.local.secrets import JWT_SIGNING_KEY, LocalSecrets
from airhost.local.supervisor import render_config


def env_of(data: dict, root):
    return validate_project(data, {}, root=root, source="test").environment("local")


BASE = {"project": "shop", "environments": {"local": {"target": "local"}}}


def test_secrets_are_private_generated_once_and_never_in_environment_files(tmp_path):
    secrets = LocalSecrets(tmp_path / "secrets")
    assert secrets.ensure_all() is True
    assert secrets.ensure_all() is False  # kept: restarts reuse the same secrets
    for path in (tmp_path / "secrets").iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert stat.S_IMODE((tmp_path / "secrets").stat().st_mode) == 0o700
    secrets.set("database_url", "postgresql://u:pw@127.0.0.1:1/airflow")
    env = env_of(BASE, tmp_path)
    paths = LocalPaths(tmp_path, "local")
    site = local_site(env, paths, secrets, {"api": 8080, "postgres": 5432})
    text = environment_file(env, "scheduler", site, secrets)
    for name in ("fernet_key", JWT_SIGNING_KEY, "api_secret_key", "admin_password", "database_url"):
        value = secrets.read(name)
        assert value and value not in text
    assert "AIRFLOW__CORE__FERNET_KEY_CMD='cat " in text
    assert "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_CMD=" in text
    # tokens: signed with the key file Airflow reads itself, not a command run for every token
    assert f"AIRFLOW__API_AUTH__JWT_PRIVATE_KEY_PATH={secrets.path(JWT_SIGNING_KEY)}\n" in text
    assert "JWT_SECRET" not in text


def test_the_token_signing_key_is_an_ed25519_key_each_environment_its_own(tmp_path):
    first, second = LocalSecrets(tmp_path / "a"), LocalSecrets(tmp_path / "b")
    first.ensure_all(), second.ensure_all()
    keys = [serialization.load_pem_private_key(s.path(JWT_SIGNING_KEY).read_bytes(), password=None)
            for s in (first, second)]
    assert all(isinstance(key, ed25519.Ed25519PrivateKey) for key in keys)
    signature = keys[0].sign(b"token")
    keys[0].public_key().verify(signature, b"token")  # raises if the key is not sound
    raw = [key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                             serialization.NoEncryption()) for key in keys]
    assert raw[0] != raw[1]


def test_environment_file_survives_the_shell(tmp_path):
    """JSON with quotes and commas must reach Airflow unchanged through `sh -c '. file'`."""
    env = env_of(BASE, tmp_path)
    secrets = LocalSecrets(tmp_path / "s")
    site = local_site(env, LocalPaths(tmp_path, "local"), secrets, {"api": 8080})
    path = tmp_path / "c.env"
    path.write_text(environment_file(env, "dag-processor", site, secrets))
    output = os.popen(f"sh -c 'set -a; . {path}; printenv AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST'").read()
    assert '"classpath": "airflow.dag_processing.bundles.local.LocalDagBundle"' in output


def test_supervisor_config_restarts_components_and_stops_postgres_last(tmp_path):
    env = env_of(BASE, tmp_path)
    paths = LocalPaths(tmp_path, "local")
    files = {c: tmp_path / f"{c}.env" for c in ("api-server", "scheduler", "dag-processor", "triggerer")}
    text = render_config(paths, programs(env, paths, files, ["postgres", "-D", "x"], "postgres", None))
    parser = configparser.RawConfigParser()
    parser.read_string(text)
    names = [s.split(":", 1)[1] for s in parser.sections() if s.startswith("program:")]
    assert names == ["postgres", "api-server", "scheduler", "dag-processor", "triggerer", "dag-check"]
    # the DAG checker starts from an empty environment: nothing of the caller's leaks into the check
    assert parser["program:dag-check"]["command"].startswith("/usr/bin/env -i ")
    for name in names:
        section = parser[f"program:{name}"]
        assert section["autorestart"] == "true"
        assert section["stopasgroup"] == "true"
    # supervisord stops higher priority numbers first: the database goes last
    assert int(parser["program:postgres"]["priority"]) < int(parser["program:scheduler"]["priority"])
    assert parser["program:postgres"]["user"] == "postgres"
    assert parser["program:postgres"]["stopsignal"] == "INT"
    assert "PROCESS_STATE_EXITED" in parser["eventlistener:reaper"]["events"]


def test_celery_adds_redis_and_a_worker(tmp_path):
    env = env_of({**BASE, "airflow": {"executor": "celery"}}, tmp_path)
    paths = LocalPaths(tmp_path, "local")
    files = {c: tmp_path / f"{c}.env" for c in ("api-server", "scheduler", "dag-processor", "triggerer",
                                                 "worker")}
    listed = programs(env, paths, files, None, None, ["redis-server"])
    names = [p.name for p in listed]
    assert names == ["redis", "api-server", "scheduler", "dag-processor", "triggerer", "worker", "dag-check"]
    assert python_env.airflow_extras(env) == ["celery", "postgres", "redis"]
    parser = configparser.RawConfigParser()
    parser.read_string(render_config(paths, listed))
    worker = parser["program:worker"]
    # warm shutdown: TERM to Celery's main process only (it drains the pool), time to finish tasks
    assert worker["stopasgroup"] == "false" and worker["killasgroup"] == "true"
    assert int(worker["stopwaitsecs"]) >= 600
    # stopped first, before the API server its tasks report to and the broker
    assert int(worker["priority"]) > int(parser["program:api-server"]["priority"])
    assert int(worker["priority"]) > int(parser["program:redis"]["priority"])


def test_install_plan_pins_the_version_and_tracks_requirements_and_constraints(tmp_path):
    (tmp_path / "requirements.txt").write_text("pendulum\n")
    (tmp_path / "constraints.txt").write_text("pyjwt==2.10.1\n")
    env = env_of({**BASE, "airflow": {"extras": ["slack"], "constraints": "constraints.txt"}}, tmp_path)
    said: list[str] = []
    first = python_env.install_plan(env, tmp_path, said.append)
    assert first.requirement == "apache-airflow[postgres,slack]==3.3.2"
    assert said == [f"constraints: the project's own file {tmp_path / 'constraints.txt'}"]
    (tmp_path / "requirements.txt").write_text("pendulum\nrequests\n")
    second = python_env.install_plan(env, tmp_path)
    assert second.fingerprint != first.fingerprint
    (tmp_path / "constraints.txt").write_text("pyjwt==2.9.0\n")
    assert python_env.install_plan(env, tmp_path).fingerprint != second.fingerprint  # rebuilds


def test_missing_requirements_file_is_a_config_error(tmp_path):
    env = env_of(BASE, tmp_path)
    with pytest.raises(ConfigError, match="requirements.txt, which does not exist"):
        python_env.install_plan(env, tmp_path)


def test_missing_constraints_file_is_a_config_error(tmp_path):
    (tmp_path / "requirements.txt").write_text("")
    env = env_of({**BASE, "airflow": {"constraints": "pins.txt"}}, tmp_path)
    with pytest.raises(ConfigError, match="airflow.constraints names .*pins.txt, which does not exist"):
        python_env.install_plan(env, tmp_path)


def test_busy_port_is_detected_and_the_next_free_one_offered():
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        busy = holder.getsockname()[1]
        assert not port_is_free(busy)
        assert free_port(busy) > busy


def test_two_environments_starting_together_get_different_ports(tmp_path, monkeypatch):
    """Neither has bound anything yet: the second does not take the port the first just chose."""
    from airhost.local import ports
    from airhost.local.environment import LocalEnvironment

    monkeypatch.setattr(ports, "claims_file", lambda: tmp_path / "claims" / "port-claims.json")
    preferred = free_port(28480)
    data = {**BASE, "environments": {"local": {"target": "local", "local": {"port": preferred}}}}
    chosen, notes = [], []
    for name in ("first", "second"):
        project = validate_project(data, {}, root=tmp_path / name, source="test")
        chosen.append(LocalEnvironment(project, project.environment("local"))
                      ._choose_ports(False, notes.append))
    assert chosen[0]["api"] == preferred
    assert chosen[1]["api"] != preferred
    assert not set(chosen[0].values()) & set(chosen[1].values())
    assert notes == [f"note: port {preferred} is chosen by another environment starting now; "
                     f"the API server uses {chosen[1]['api']} instead"]
    # the first environment's own claim does not keep it from its port on its next start
    project = validate_project(data, {}, root=tmp_path / "first", source="test")
    again = LocalEnvironment(project, project.environment("local"))._choose_ports(False, notes.append)
    assert again["api"] == preferred


def test_a_claim_ends_with_the_start_it_covered(tmp_path):
    import json
    import subprocess
    import sys

    from airhost.local.ports import CLAIM_SECONDS, PortClaims

    now = [1000.0]
    path = tmp_path / "port-claims.json"
    first, second = (PortClaims(owner, path, clock=lambda: now[0]) for owner in ("a", "b"))
    with first.choosing() as claimed:
        assert claimed == set()
        first.claim([8080, 8793])
    with second.choosing() as claimed:
        assert claimed == {8080, 8793}
    first.release()  # its up is over
    with second.choosing() as claimed:
        assert claimed == set()
    with first.choosing():
        first.claim([8080])
    now[0] += CLAIM_SECONDS + 1  # an up that hangs on does not hold the port for ever
    with second.choosing() as claimed:
        assert claimed == set()
    # an up that was killed: its process is gone, so is its claim
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    path.write_text(json.dumps({"8080": {"owner": "a", "pid": int(gone), "until": now[0] + 60}}))
    with second.choosing() as claimed:
        assert claimed == set()


def test_reaper_reads_the_exited_process_id():
    payload = "processname:scheduler groupname:scheduler from_state:RUNNING expected:0 pid:4242"
    assert parse_payload(payload)["pid"] == "4242"


def test_long_project_paths_keep_the_socket_short(tmp_path):
    deep = tmp_path / ("x" * 120)
    assert len(str(LocalPaths(deep, "local").supervisor_socket)) < 100


def test_follow_yields_only_new_complete_lines(tmp_path):
    from airhost.local.logs import follow, last_lines

    log = tmp_path / "scheduler.log"
    log.write_text("old line\n")
    writes = iter(["first new\nsecond ", "new\n", ""])
    rounds = {"count": 0}

    def sleep(_: float) -> None:
        rounds["count"] += 1
        chunk = next(writes, "")
        with log.open("a") as handle:
            handle.write(chunk)

    lines = list(follow({"scheduler": log}, stop=lambda: rounds["count"] >= 4, sleep=sleep))
    assert lines == [("scheduler", "first new"), ("scheduler", "second new")]
    assert last_lines(log, 1) == ["second new"]


def test_celery_settings_reach_the_worker_with_redis_and_the_environments_own_log_port(tmp_path):
    env = env_of({**BASE, "airflow": {"executor": "celery"}, "workers": {"tasks_per_worker": 4}}, tmp_path)
    secrets = LocalSecrets(tmp_path / "s")
    site = local_site(env, LocalPaths(tmp_path, "local"), secrets,
                      {"api": 8080, "redis": 6380, "logs": 8795})
    text = environment_file(env, "worker", site, secrets)
    assert "AIRFLOW__CORE__EXECUTOR=CeleryExecutor" in text
    assert "AIRFLOW__CELERY__BROKER_URL=redis://127.0.0.1:6380/0" in text
    assert "AIRFLOW__CELERY__WORKER_CONCURRENCY=4" in text
    assert "AIRFLOW__CELERY__WORKER_ENABLE_REMOTE_CONTROL=True" in text  # Redis has it: celery inspect
    # not Airflow's shared default 8793: two environments on one machine would serve each other's logs
    assert "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT=8795" in text


def test_every_port_an_environment_needs_is_distinct_even_on_airflow_default_log_ports(tmp_path):
    from airhost.local.environment import LocalEnvironment

    data = {"project": "shop", "environments": {"local": {"target": "local", "local": {"port": 8794}}}}
    project = validate_project(data, {}, root=tmp_path, source="test")
    local = LocalEnvironment(project, project.environment("local"))
    ports = local._choose_ports(running=False, report=lambda _: None)
    assert ports["api"] == 8794 or not port_is_free(8794)
    assert len(set(ports.values())) == len(ports), ports
    assert {"api", "logs", "trigger_logs", "postgres"} <= set(ports)
    env_text = environment_file(local.env, "triggerer", local_site(local.env, local.paths, local.secrets, ports),
                                local.secrets)
    assert f"AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT={ports['trigger_logs']}" in env_text


def test_a_health_endpoint_that_answers_while_sign_in_fails_is_reported(tmp_path):
    import http.server
    import threading

    from airhost.local import failures

    class Broken(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - the standard library's name
            self.send_response(500)
            self.end_headers()
            self.wfile.write(b"Internal Server Error")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Broken)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        ticks = iter(range(100))
        problem = failures.login_problem(f"http://127.0.0.1:{server.server_port}", "admin", "pw",
                                         sleep=lambda _: None, clock=lambda: next(ticks) * 5.0)
    finally:
        server.shutdown()
    assert "failed the login with HTTP 500" in problem
    log = tmp_path / "api-server.log"
    log.write_text("starting\nTypeError: Issuer (iss) must be a string.\n")
    message = str(failures.login_error(problem, log, "local"))
    assert "signing in fails (Airflow's API at" in message and "HTTP 500" in message
    assert "Issuer (iss) must be a string." in message and "airhost up local" in message


def test_crash_looping_is_told_from_a_component_that_recovered():
    from airhost.local.failures import is_crash_looping

    assert is_crash_looping("BACKOFF", 1, None) and is_crash_looping("FATAL", 0, None)
    assert is_crash_looping("RUNNING", 2, 30.0)  # a slow start between exits shows as RUNNING
    assert not is_crash_looping("RUNNING", 2, 3600.0)  # restarted long ago, stable since
    assert not is_crash_looping("RUNNING", 1, 30.0)
