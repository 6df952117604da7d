"""The release record: what is deployed, kept in SSM beside the stacks (SSM keeps the history)."""

from __future__ import annotations

from typing import Any

from airhost import __version__
from airhost.ops.environment import AwsEnvironment

RELEASE = "release"


def record_release(aws: AwsEnvironment, *, config_hash: str, image: str,
                   stacks: dict[str, str], bootstrapped: bool) -> dict[str, Any]:
    env = aws.env
    release = {
        "airhost_version": __version__,
        "airflow_version": env.airflow.version,
        "python": env.airflow.python,
        "executor": env.airflow.executor,
        "topology": env.ecs.topology,
        "image": image,
        "config_hash": config_hash,
        "deployed_at": aws.clock.utcnow().isoformat(timespec="seconds"),
        "stacks": stacks,
        "bootstrapped": bootstrapped,
    }
    release["version"] = aws.parameters.put_json(
        aws.parameter_name(RELEASE), release,
        description=f"airhost release of {env.project}-{env.name}")
    return release


def read_release(aws: AwsEnvironment) -> dict[str, Any] | None:
    return aws.parameters.get_json(aws.parameter_name(RELEASE))
