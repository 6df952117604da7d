"""A scratch EC2 node on this machine: the harness that plays the instance around ``airhost-node``.

What an instance gets from AWS, this gives from the emulator and the machine: the user data's files
(the node script, ``/etc/airhost/node.json``) under a scratch root (``AIRHOST_NODE_ROOT``), the
group's settings in the emulator's SSM, secrets in its Secrets Manager, a wheelhouse in its S3, a
real PostgreSQL, and a ``systemctl`` on PATH that records what the node asks of systemd (no systemd
runs here: the test then starts the components the way the units would).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import boto3
import yaml

from airhost.config.ec2 import ResolvedGroup
from airhost.config.models import Environment
from airhost.render.ec2 import node

REGION = "eu-west-1"

FAKE_SYSTEMCTL = """#!/bin/sh
echo "$@" >> "$AIRHOST_TEST_SYSTEMCTL_LOG"
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wheel(name: str, version: str, requires: list[str] | None = None) -> tuple[str, bytes]:
    """A minimal pure-Python wheel: a module that says its version."""
    dist = f"{name.replace('-', '_')}-{version}"
    files = {f"{name.replace('-', '_')}.py": f"VERSION = {version!r}\n"}
    metadata = [f"Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}",
                *(f"Requires-Dist: {r}" for r in requires or [])]
    files[f"{dist}.dist-info/METADATA"] = "\n".join(metadata) + "\n"
    files[f"{dist}.dist-info/WHEEL"] = "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    record = [f"{path},," for path in files] + [f"{dist}.dist-info/RECORD,,"]
    files[f"{dist}.dist-info/RECORD"] = "\n".join(record) + "\n"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path, text in files.items():
            archive.writestr(path, text)
    return f"{dist}-py3-none-any.whl", buffer.getvalue()


@dataclass
class ScratchNode:
    """One node of a group, rooted in a scratch folder, talking to the emulator."""

    root: Path
    env: Environment
    group: ResolvedGroup
    endpoint: str
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.bin = self.root / "test-bin"
        self.bin.mkdir(parents=True, exist_ok=True)
        (self.bin / "systemctl").write_text(FAKE_SYSTEMCTL)
        (self.bin / "systemctl").chmod(0o755)
        self.systemctl_log = self.root / "systemctl.log"
        self.systemctl_log.touch()

    def client(self, service: str):
        return boto3.client(service, region_name=REGION, endpoint_url=self.endpoint)

    # -- what the user data writes -------------------------------------------------------------

    def write_user_data_files(self, tokens: dict[str, str]) -> None:
        """The user data's files, written where cloud-init writes them, tokens filled as Fn::Sub."""
        config = yaml.safe_load(node.user_data(self.env, self.group))
        for item in config["write_files"]:
            if not item["path"].startswith(("/opt/airhost/", "/etc/airhost/")):
                continue  # units, cfn-hup and the agent's files: systemd and AWS's tools read them
            content = item["content"]
            if item.get("encoding") == "gz+b64":
                content = gzip.decompress(base64.b64decode(content)).decode()
            path = self.root / item["path"].lstrip("/")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(substitute(content, tokens))
            path.chmod(int(item["permissions"], 8))

    # -- running the node script ---------------------------------------------------------------

    def environment(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        environment = {key: value for key, value in os.environ.items()
                       if not key.startswith(("AIRFLOW", "PIP_"))}
        environment.update({
            "AIRHOST_NODE_ROOT": str(self.root), "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION, "AWS_EC2_METADATA_DISABLED": "true",
            "AIRHOST_TEST_SYSTEMCTL_LOG": str(self.systemctl_log),
            "PATH": f"{self.bin}:{os.environ['PATH']}",
            # no package index: whatever installs must come from the wheelhouse
            "PIP_INDEX_URL": "http://127.0.0.1:9/simple", "PIP_NO_CACHE_DIR": "1",
        })
        environment.update(extra or {})
        return environment

    def script(self, *arguments: str, timeout: float = 600) -> subprocess.CompletedProcess:
        """``airhost-node ARGS`` as systemd, cfn-hup or Run Command would run it."""
        return subprocess.run([sys.executable, str(self.root / node.NODE_SCRIPT.lstrip("/")), *arguments],
                              capture_output=True, text=True, env=self.environment(), timeout=timeout)

    def systemctl_calls(self) -> list[str]:
        return self.systemctl_log.read_text().splitlines()

    def environment_file(self, component: str) -> dict[str, str]:
        """A component's EnvironmentFile, read the way systemd reads it."""
        values = {}
        for line in (self.root / f"etc/airhost/env/{component}.env").read_text().splitlines():
            key, _, value = line.partition("=")
            values[key] = json.loads(value)  # KEY="escaped value": the escapes JSON reads too
        return values

    def start(self, component: str) -> subprocess.Popen:
        """Start a component as its unit does: EnvironmentFile, then ExecStart."""
        log = (self.root / f"{component}.log").open("a")
        script = str(self.root / node.NODE_SCRIPT.lstrip("/"))
        process = subprocess.Popen([sys.executable, script, "exec", component],
                                   env=self.environment(self.environment_file(component)),
                                   stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.processes[component] = process
        return process

    def stop(self, component: str, timeout: float = 60) -> None:
        process = self.processes.pop(component, None)
        if process and process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def stop_all(self, timeout: float = 120) -> None:
        """SIGTERM to every component at once (as systemd stops units in parallel), then wait."""
        processes = [self.processes.pop(c) for c in list(self.processes)]
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for process in processes:
            try:
                process.wait(max(deadline - time.monotonic(), 1))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def substitute(text: str, tokens: dict[str, str]) -> str:
    """What CloudFormation's Fn::Sub does to the rendered text: ${Name} → value, ${!x} → ${x}."""
    for name, value in tokens.items():
        text = text.replace("${" + name + "}", value)
    return text.replace("${!", "${")


def lock_digest(lock: bytes) -> str:
    return hashlib.sha256(lock).hexdigest()


def upload_wheelhouse(s3, bucket: str, prefix: str, wheels: list[tuple[str, bytes]],
                      lock: str) -> str:
    for name, content in wheels:
        s3.put_object(Bucket=bucket, Key=f"{prefix}/{name}", Body=content)
    s3.put_object(Bucket=bucket, Key=f"{prefix}/requirements.lock", Body=lock.encode())
    return f"s3://{bucket}/{prefix}/"


@dataclass
class Postgres:
    """A real PostgreSQL for the node's metadata database, as the postgres user when root."""

    folder: Path
    port: int
    process: subprocess.Popen | None = None

    @classmethod
    def start(cls) -> Postgres:
        from airhost.local.postgres import find_binaries, server_user

        binaries, user = find_binaries(), server_user()
        folder = Path(tempfile.mkdtemp(prefix="airhost-ec2-pg-"))
        folder.chmod(0o755)
        data = folder / "data"
        if user:
            import pwd

            entry = pwd.getpwnam(user)
            os.chown(folder, entry.pw_uid, entry.pw_gid)
        prefix = ["runuser", "-u", user, "--"] if user else []
        subprocess.run([*prefix, binaries("initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                        "-E", "UTF8", "--locale=C.UTF-8"], check=True, capture_output=True)
        port = free_port()
        process = subprocess.Popen([*prefix, binaries("postgres"), "-D", str(data), "-p", str(port),
                                    "-h", "127.0.0.1", "-k", str(folder)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        server = cls(folder, port, process)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            done = subprocess.run([*prefix, binaries("psql"), "-h", "127.0.0.1", "-p", str(port), "-U",
                                   "postgres", "-c", "CREATE DATABASE airflow"], capture_output=True)
            if done.returncode == 0:
                return server
            time.sleep(0.3)
        server.stop()
        raise RuntimeError("PostgreSQL did not start")

    @property
    def url(self) -> str:
        return f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/airflow"

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            # runuser does not pass signals on: stop the server itself (fast shutdown)
            from airhost.local.postgres import find_binaries, server_user

            user = server_user()
            prefix = ["runuser", "-u", user, "--"] if user else []
            subprocess.run([*prefix, find_binaries()("pg_ctl"), "-D", str(self.folder / "data"),
                            "-m", "fast", "-w", "stop"], capture_output=True, timeout=60)
            self.process.wait(30)


def health(port: int) -> dict | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/monitor/health", timeout=3) as answer:
            return json.loads(answer.read())
    except (OSError, ValueError):
        return None


def healthy(document: dict | None) -> bool:
    keys = ("metadatabase", "scheduler", "triggerer", "dag_processor")
    return bool(document) and all((document.get(k) or {}).get("status") == "healthy" for k in keys)


def shell_words(text: str) -> list[str]:
    return shlex.split(text)
