"""The project's Airflow image: a Dockerfile on the official image, rendered from the config. Pure.

The official ``apache/airflow:<version>-python<py>`` image is the base; the project adds its
requirements (pip-installed with Airflow pinned, as the image's documentation asks, so a requirement
can never move Airflow), its plugins, and — only with ``dags.source: image`` — its DAGs. Packages
airhost's own rendered configuration relies on (``config_packages``) are added with them. The
install is held to the release's constraints (``airhost.install.constraints``), staged into the
build context as a file by the image step: rendering itself reads nothing from the network.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from airhost import __version__
from airhost.config.models import Environment
from airhost.config.support import official_image

AIRFLOW_HOME = "/opt/airflow"


@dataclass(frozen=True)
class ImageInputs:
    """What the project has to put in the image (paths relative to the build context)."""

    requirements: str | None  # e.g. "requirements.txt"
    plugins: str | None  # e.g. "plugins"
    dags: str | None  # e.g. "dags", only with dags.source image
    constraints: str | None = None  # e.g. "constraints.txt": the release's, minus the project's own


def image_inputs(env: Environment, *, has_requirements: bool, has_plugins: bool,
                 has_constraints: bool = False) -> ImageInputs:
    return ImageInputs(
        requirements="requirements.txt" if has_requirements else None,
        plugins="plugins" if has_plugins else None,
        dags="dags" if env.dags.source == "image" else None,
        constraints="constraints.txt" if has_constraints else None,
    )


def config_packages(env: Environment) -> list[str]:
    """What the rendered configuration needs beyond the official image, with why."""
    if not env.is_local and env.airflow.executor == "celery" and env.celery.broker == "sqs":
        # Celery's SQS transport needs pycurl; Airflow's DogStatsD client sends the tagged
        # backlog gauges the worker groups scale on (see render/ecs/backlog.py).
        return ["celery[sqs]", "datadog"]
    return []


def render_dockerfile(env: Environment, inputs: ImageInputs, config_hash: str) -> str:
    """The Dockerfile text; the build context holds exactly the paths named in ``inputs``."""
    airflow = "apache-airflow"
    if env.airflow.extras:
        airflow += f"[{','.join(sorted(env.airflow.extras))}]"
    lines = [
        f"# The Airflow image of {env.project}/{env.name}, rendered by airhost {__version__}.",
        "# Rebuild with `airhost image build`; do not edit: changes belong in airhost.yaml.",
        f"FROM {official_image(env.airflow.version, env.airflow.python)}",
        "USER airflow",
    ]
    packages = config_packages(env)
    if inputs.requirements or env.airflow.extras or packages:
        install = ["pip", "install", "--no-cache-dir", f"{airflow}=={env.airflow.version}", *packages]
        if inputs.constraints:
            lines.append(f"COPY --chown=airflow:0 {inputs.constraints} /tmp/constraints.txt")
            install += ["--constraint", "/tmp/constraints.txt"]
        if inputs.requirements:
            lines.append(f"COPY --chown=airflow:0 {inputs.requirements} /tmp/requirements.txt")
            install += ["--requirement", "/tmp/requirements.txt"]
        lines.append("RUN " + json.dumps(install))
    if inputs.plugins:
        lines.append(f"COPY --chown=airflow:0 {inputs.plugins}/ {AIRFLOW_HOME}/plugins/")
    if inputs.dags:
        lines.append(f"COPY --chown=airflow:0 {inputs.dags}/ {AIRFLOW_HOME}/dags/")
    labels = {
        "org.opencontainers.image.title": f"{env.project}-{env.name}-airflow",
        "org.opencontainers.image.base.name": official_image(env.airflow.version, env.airflow.python),
        "airhost.airflow-version": env.airflow.version,
        "airhost.config-hash": config_hash,
    }
    lines.append("LABEL " + " ".join(f"{key}={json.dumps(value)}" for key, value in labels.items()))
    return "\n".join(lines) + "\n"
