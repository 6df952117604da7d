"""A moto server on 127.0.0.1 for the whole test session, reset before every test.

airhost talks to it exactly as to AWS: through ``AWS_ENDPOINT_URL``, dummy credentials and a region
set per test. Where moto differs from AWS, ``moto_gaps`` fills the gap (documented there).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import pytest

from tests.emulator.moto_gaps import REGION, Emulator, start_emulator
from tests.emulator import moto_scaling  # noqa: F401  (registers its models with moto)
from tests.emulator import moto_ec2  # noqa: F401  (Systems Manager's view of EC2 instances)
from tests.emulator import moto_eks  # noqa: F401  (EKS resources of moto's CloudFormation)
from tests.emulator.kubernetes_api import KubernetesApi, start_kubernetes_api


def pytest_configure(config: pytest.Config) -> None:
    # moto warns about every resource type its CloudFormation skips (see above): expected here
    config.addinivalue_line("filterwarnings", "ignore:Tried to parse .* not supported by moto")


@pytest.fixture(scope="session")
def emulator_server() -> Any:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    logging.getLogger("moto").setLevel(logging.ERROR)
    server, emulator = start_emulator()
    yield emulator
    server.stop()


@pytest.fixture(scope="session")
def kubernetes_server() -> Any:
    """The Kubernetes API double every emulated EKS cluster's endpoint points at."""
    server, api = start_kubernetes_api()
    moto_eks.KUBERNETES.update(url=api.url, ca_pem=api.ca_pem)
    yield api
    server.shutdown()


@pytest.fixture
def kubernetes(kubernetes_server: KubernetesApi) -> KubernetesApi:
    """The double, emptied: a new cluster's API server."""
    kubernetes_server.reset()
    moto_eks.ACCESS_ENTRIES.clear()
    return kubernetes_server


@pytest.fixture
def emulator(emulator_server: Emulator, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    """A clean emulator, and this process pointed at it the standard boto3 way."""
    emulator_server.reset()
    for variable in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_REGION"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", emulator_server.url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AIRHOST_POLL_SECONDS", "0")
    return emulator_server


SHOP = """\
project: shop
region: eu-west-1
airflow: {version: "3.1.3", python: "3.12"}
environments:
  prod:
    target: ecs
  split:
    target: ecs
    ecs: {topology: split, schedulers: 2}
"""


@dataclass
class Deployed:
    """A project on the emulator: its folder, and how to load and deploy its environments."""

    root: Any

    def project(self):
        from airhost.config import load_project

        return load_project(self.root)

    def aws(self, name: str = "prod"):
        from airhost.targets.ecs import EcsDeployment

        return EcsDeployment(self.project().environment(name))

    def deploy(self, name: str = "prod", progress=None) -> dict:
        """Deploy the environment; the summary as ``--output json`` shows it."""
        from airhost.deploy import deploy_environment
        from airhost.progress import Progress

        project = self.project()
        return deploy_environment(project.environment(name), project.config_hash,
                                  progress or Progress(), confirm=False).to_json()

    def edit(self, old: str, new: str) -> None:
        path = self.root / "airhost.yaml"
        path.write_text(path.read_text().replace(old, new))


@pytest.fixture
def shop(emulator: Emulator, write_project) -> Deployed:
    """The 'shop' project (prod: standalone on Fargate; split: a service per component)."""
    emulator.script("db migrate", lines=["Performing upgrade to the metadata database",
                                         "Database migrating done!"])
    return Deployed(write_project(SHOP))
