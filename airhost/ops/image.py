"""``image build`` and ``image push``: the project's Airflow image, built only when its inputs change.

build: stage a build context under ``.airhost/<env>/image/`` holding exactly what the rendered
Dockerfile copies → tag it ``<git commit>-<content hash>`` → ``docker build`` with the machine's
Docker engine. push: log the Docker client in to the environment's ECR repository → tag → push →
read the digest from ECR → record ``repository@digest`` in SSM, which ``deploy`` then runs.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from airhost.config.loader import Project
from airhost.config.models import Environment
from airhost.errors import AirhostError
from airhost.local.paths import LocalPaths
from airhost.install.constraints import release_constraints
from airhost.render.dockerfile import config_packages, image_inputs, render_dockerfile
from airhost.tools.docker import Docker, DockerUnavailable  # noqa: F401 - the image commands' seam

Report = Callable[[str], None]
IMAGE_RECORD = "image"


@dataclass(frozen=True)
class StagedImage:
    name: str  # local repository name, e.g. shop-prod-airflow
    tag: str
    context: Path
    dockerfile: Path
    content_hash: str
    git_commit: str | None

    @property
    def reference(self) -> str:
        return f"{self.name}:{self.tag}"


def git_commit(folder: Path) -> str | None:
    """The short commit of the project's repository, ``-dirty`` when it has uncommitted changes."""
    try:
        head = subprocess.run(["git", "-C", str(folder), "rev-parse", "--short=12", "HEAD"],
                              capture_output=True, text=True, check=False, timeout=10)
        if head.returncode != 0:
            return None
        dirty = subprocess.run(["git", "-C", str(folder), "status", "--porcelain"],
                               capture_output=True, text=True, check=False, timeout=10).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return None
    return head.stdout.strip() + ("-dirty" if dirty else "")


def _copy(source: Path, target: Path) -> None:
    if source.is_dir():
        shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)


def content_hash(context: Path) -> str:
    """Digest of every file in the build context, names included: same inputs, same tag."""
    digest = hashlib.sha256()
    for path in sorted(p for p in context.rglob("*") if p.is_file()):
        digest.update(path.relative_to(context).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def stage(project: Project, env: Environment, report: Report | None = None) -> StagedImage:
    """Write the Dockerfile and a minimal build context; nothing outside them reaches the image.

    What the image installs is held to the release's constraints (the same ones a local virtualenv
    gets), written into the context with the project's own requirements layered on top.
    """
    root = project.root
    requirements = root / env.airflow.requirements if env.airflow.requirements else None
    plugins = root / env.airflow.plugins if env.airflow.plugins else None
    has_requirements = bool(requirements and requirements.is_file())
    has_plugins = bool(plugins and plugins.is_dir() and any(plugins.iterdir()))
    installs = has_requirements or bool(env.airflow.extras) or bool(config_packages(env))
    constraints = None
    if installs:  # without an install the official image, built with the constraints, is used as is
        constraints = release_constraints(
            env.airflow.version, env.airflow.python, sorted(env.airflow.extras),
            project_file=(root / env.airflow.constraints) if env.airflow.constraints else None,
            report=report)
    inputs = image_inputs(env, has_requirements=has_requirements, has_plugins=has_plugins,
                          has_constraints=constraints is not None)
    context = LocalPaths(root, env.name).base / "image"
    if context.exists():
        shutil.rmtree(context)
    context.mkdir(parents=True)
    if inputs.requirements and requirements:
        _copy(requirements, context / inputs.requirements)
    if inputs.plugins and plugins:
        _copy(plugins, context / inputs.plugins)
    if inputs.constraints and constraints:
        wanted = requirements.read_text(encoding="utf-8") if has_requirements and requirements else ""
        (context / inputs.constraints).write_text(
            constraints.header() + constraints.layered(wanted))
    if inputs.dags:
        _copy(root / env.dags.folder, context / inputs.dags)
    dockerfile = context / "Dockerfile"
    dockerfile.write_text(render_dockerfile(env, inputs, project.config_hash))
    digest = content_hash(context)
    commit = git_commit(root)
    tag = f"{commit}-{digest[:12]}" if commit else digest[:12]
    return StagedImage(f"{env.project}-{env.name}-airflow", tag, context, dockerfile, digest, commit)


def build(staged: StagedImage, docker: Docker, report: Report) -> None:
    docker.require_engine()
    report(f"Building {staged.reference}")
    docker.run(["build", "--tag", staged.reference, str(staged.context)], report=report)


def pushed_image(aws) -> str | None:
    """The image last pushed for the environment (``repository@sha256:...``), from its SSM record."""
    record = aws.parameters.get_json(aws.parameter_name(IMAGE_RECORD))
    return record.get("image") if record else None


def push(aws, staged: StagedImage, docker: Docker, report: Report) -> dict[str, str | None]:
    """Push the built image to the environment's ECR repository; record and return it."""
    from airhost.aws.ecr import Ecr
    from airhost.aws.errors import NotDeployed

    docker.require_engine()
    data = aws.cloudformation.describe(aws.stack_name("data"))
    outputs = data.outputs if data else {}
    if not outputs.get("EcrRepositoryUri"):
        raise NotDeployed(
            f"environment {aws.env.name} has no ECR repository yet: its data stack is not deployed",
            hint=f"run 'airhost deploy {aws.env.name}' first: it creates the repository and stops "
                 "before the Airflow services until an image is pushed")
    repository, name = outputs["EcrRepositoryUri"], outputs["EcrRepositoryName"]
    ecr = Ecr(aws.session)
    login = ecr.login()
    report(f"Logging in to {login.registry}")
    docker.run(["login", "--username", login.username, "--password-stdin", login.registry],
               stdin=login.password)
    remote = f"{repository}:{staged.tag}"
    docker.run(["tag", staged.reference, remote])
    report(f"Pushing {remote}")
    docker.run(["push", remote], report=report)
    digest = ecr.digest(name, staged.tag)
    if not digest:
        raise AirhostError(f"pushed {remote}, but ECR does not list it",
                           hint="check the repository in the ECR console, then push again")
    record: dict[str, str | None] = {"image": f"{repository}@{digest}", "tag": staged.tag,
                                     "airflow_version": aws.env.airflow.version,
                                     "content_hash": staged.content_hash,
                                     "git_commit": staged.git_commit}
    aws.parameters.put_json(aws.parameter_name(IMAGE_RECORD), record,
                            description="the image airhost deploys: last pushed by 'airhost image push'")
    return record
