"""The project's own image on the emulator: first deploy stops for it, push records it, deploy runs it.

The Docker CLI is replaced by a small stand-in on PATH (this machine has no Docker engine): it
records each command and, on push, registers the image in the emulator's ECR as a registry would.
"""

from __future__ import annotations

import json
import os
import stat
import sys
import textwrap

import boto3
import pytest

from tests.emulator.conftest import Deployed

pytestmark = pytest.mark.emulator

FAKE_DOCKER = textwrap.dedent("""\
    #!{python}
    import json, os, sys
    log = os.environ["FAKE_DOCKER_LOG"]
    stdin = sys.stdin.read() if "--password-stdin" in sys.argv else None
    with open(log, "a") as handle:
        handle.write(json.dumps({{"args": sys.argv[1:], "stdin": stdin}}) + "\\n")
    if sys.argv[1] == "push":
        import boto3
        uri, tag = sys.argv[2].rsplit(":", 1)
        manifest = json.dumps({{"schemaVersion": 2,
                               "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                               "config": {{"digest": "sha256:" + "1" * 64}}, "layers": []}})
        boto3.client("ecr").put_image(repositoryName=uri.split("/", 1)[1], imageTag=tag,
                                      imageManifest=manifest)
    print("ok")
    """)

PROJECT = """\
    project: shop
    region: eu-west-1
    airflow: {version: "3.3.2", python: "3.12"}
    environments:
      prod:
        target: ecs
        ecs: {image: ecr}
    """


@pytest.fixture
def fake_docker(tmp_path, monkeypatch):
    folder = tmp_path / "bin"
    folder.mkdir()
    script = folder / "docker"
    script.write_text(FAKE_DOCKER.format(python=sys.executable))
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    log = tmp_path / "docker.log"
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_DOCKER_LOG", str(log))
    return lambda: [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def test_first_deploy_stops_for_the_image_then_push_and_deploy_run_it(emulator, write_project,
                                                                      run_cli, fake_docker):
    root = write_project(PROJECT)
    (root / "requirements.txt").write_text("pendulum\n")
    emulator.script("db migrate", lines=["Database migrating done!"])

    first = run_cli("deploy", "prod", "--config", str(root), "--yes")
    assert first.exit_code == 2
    assert "none has been pushed" in first.stderr and "airhost image push" in first.stderr
    deployed = Deployed(root)
    assert deployed.aws().cloudformation.describe("shop-prod-data") is not None

    built = run_cli("image", "build", "prod", "--config", str(root), "--output", "json")
    assert built.exit_code == 0, built.stderr
    tag = json.loads(built.stdout)["tag"]
    pushed = run_cli("image", "push", "prod", "--config", str(root), "--output", "json")
    assert pushed.exit_code == 0, pushed.stderr
    record = json.loads(pushed.stdout)
    assert record["tag"] == tag and "@sha256:" in record["image"]

    commands = [entry["args"][0] for entry in fake_docker()]
    assert commands == ["info", "build", "info", "login", "tag", "push"]
    login = next(entry for entry in fake_docker() if entry["args"][0] == "login")
    assert login["stdin"] and login["stdin"] not in " ".join(login["args"])  # never on the command line

    second = run_cli("deploy", "prod", "--config", str(root), "--yes")
    assert second.exit_code == 0, second.stderr
    airflow = boto3.client("cloudformation").describe_stacks(StackName="shop-prod-airflow")["Stacks"][0]
    parameters = {p["ParameterKey"]: p["ParameterValue"] for p in airflow["Parameters"]}
    assert parameters["Image"] == record["image"]


def test_build_without_an_engine_says_what_is_missing(write_project, run_cli, tmp_path, monkeypatch):
    root = write_project(PROJECT)
    monkeypatch.setenv("PATH", str(tmp_path / "nothing-here"))
    result = run_cli("image", "build", "prod", "--config", str(root))
    assert result.exit_code == 3
    assert "docker command is not installed" in result.stderr and "--dockerfile-only" in result.stderr
    written = run_cli("image", "build", "prod", "--config", str(root), "--dockerfile-only")
    assert written.exit_code == 0
    assert (root / ".airhost" / "prod" / "image" / "Dockerfile").read_text().startswith("# The Airflow image")
    assert (root / ".airhost" / "prod" / "image" / "requirements.txt").exists()
