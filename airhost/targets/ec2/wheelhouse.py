"""The release's wheelhouse in the environment's bucket: what every EC2 node installs Airflow from.

The nodes install exactly what the local virtualenv would hold — ``apache-airflow[extras]==X``
(the extras the environment's settings need, as for the local target), the release's constraints
and the project's requirements layered on top (``airhost.install.constraints``), plus what the
rendered configuration needs beyond Airflow, as the project image gets it (Celery's SQS transport
and the DogStatsD client the worker groups scale on) — resolved for
their own platform (each architecture the groups use, the configured Python) by
``airhost.install.wheelhouse``. Each lock goes to ``s3://<DAG bucket>/wheelhouse/<digest>/`` with
its wheels, the lock written last: a prefix that holds ``requirements.lock`` is complete, and an
unchanged lock finds its prefix already there and uploads nothing. A resolution is kept in the
local cache under its inputs, so a deploy with nothing changed asks the index nothing either.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

from airhost.aws.s3 import Buckets
from airhost.config.ec2 import resolved_groups
from airhost.config.models import Environment
from airhost.errors import ConfigError
from airhost.install.constraints import cache_dir, release_constraints
from airhost.install.wheelhouse import (
    Architecture,
    Lock,
    NodePlatform,
    download_wheels,
    resolve_lock,
)
from airhost.local.python_env import airflow_extras, constraints_file
from airhost.progress import Progress
from airhost.render.dockerfile import config_packages
from airhost.render.ec2.compute import WHEELHOUSE_PREFIX

LOCK_NAME = "requirements.lock"


@dataclass(frozen=True)
class Wheelhouse:
    """One architecture's wheelhouse: where it is, and what this deploy uploaded to it."""

    architecture: Architecture
    location: str  # s3://bucket/wheelhouse/<digest>/
    packages: int
    uploaded: int  # files uploaded now: 0 when the lock was already there

    def to_json(self) -> dict[str, object]:
        return {"architecture": self.architecture, "location": self.location,
                "packages": self.packages, "uploaded": self.uploaded}


def architectures(env: Environment) -> list[Architecture]:
    return sorted({group.architecture for group in resolved_groups(env)})


def node_lock(env: Environment, project_root: Path, architecture: Architecture,
              progress: Progress) -> Lock:
    """The lock of the nodes of ``architecture``: from the cache when its inputs are unchanged."""
    extras = airflow_extras(env)
    requirement = f"apache-airflow[{','.join(extras)}]=={env.airflow.version}"
    requirements_file = None
    requirements = ""
    if env.airflow.requirements:
        requirements_file = (project_root / env.airflow.requirements).resolve()
        if not requirements_file.is_file():
            raise ConfigError(f"airflow.requirements names {env.airflow.requirements}, which does "
                              "not exist", hint=f"create {requirements_file} or set "
                                                "airflow.requirements: null")
        requirements = requirements_file.read_text(encoding="utf-8")
    constraints = release_constraints(env.airflow.version, env.airflow.python, extras,
                                      project_file=constraints_file(env, project_root),
                                      report=progress.detail)
    layered = constraints.layered(requirements)
    platform = NodePlatform(architecture, env.airflow.python)
    wanted = [requirement, *config_packages(env)]
    key = hashlib.sha256(json.dumps([architecture, env.airflow.python, wanted, layered,
                                     requirements]).encode()).hexdigest()
    cached = cache_dir().parent / "wheelhouse" / f"{key[:24]}.json"
    if cached.is_file():
        packages = json.loads(cached.read_text())
        return Lock(platform, tuple(tuple(item) for item in packages))  # type: ignore[misc]
    progress.detail(f"resolving {requirement} for the nodes ({platform.title})")
    lock = resolve_lock(platform, wanted, layered, requirements_file)
    cached.parent.mkdir(parents=True, exist_ok=True)
    cached.write_text(json.dumps([list(item) for item in lock.packages]))
    return lock


def ensure_wheelhouse(env: Environment, project_root: Path, buckets: Buckets, bucket: str,
                      architecture: Architecture, progress: Progress) -> Wheelhouse:
    """The architecture's wheelhouse in ``bucket``, uploaded unless its lock is already there."""
    lock = node_lock(env, project_root, architecture, progress)
    prefix = f"{WHEELHOUSE_PREFIX}/{lock.digest[:32]}"
    location = f"s3://{bucket}/{prefix}/"
    if LOCK_NAME in buckets.digests(bucket, prefix):
        progress.detail(f"wheelhouse for {lock.platform.title}: {len(lock.packages)} packages, "
                        f"already in {location} (nothing to upload)")
        return Wheelhouse(architecture, location, len(lock.packages), 0)
    progress.step(f"building the wheelhouse for {lock.platform.title}: "
                  f"{len(lock.packages)} packages")
    with tempfile.TemporaryDirectory(prefix="airhost-wheels-") as folder:
        wheels = download_wheels(lock, Path(folder))
        size = sum(wheel.stat().st_size for wheel in wheels)
        progress.detail(f"uploading {len(wheels)} wheels ({size / 1e6:.1f} MB) to {location}")
        for wheel in wheels:
            buckets.upload(bucket, f"{prefix}/{wheel.name}", wheel)
        # Last: a prefix holding the lock is complete, so an interrupted upload is redone.
        buckets.upload(bucket, f"{prefix}/{LOCK_NAME}", Path(folder) / LOCK_NAME)
    return Wheelhouse(architecture, location, len(lock.packages), len(wheels) + 1)
