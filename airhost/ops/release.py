"""The release record: what is deployed, kept in SSM beside the stacks (SSM keeps the history).

``Release`` is what ``deploy`` and ``upgrade`` write after a deploy and what ``status`` shows; its
JSON is the SSM parameter's value. A deploy that has not completed its bootstrap has none, or one
with ``bootstrapped`` false.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from airhost import __version__
from airhost.targets.cloud import CloudEnvironment

RELEASE = "release"
_FIELDS = ("airhost_version", "airflow_version", "python", "executor", "target", "image",
           "config_hash", "deployed_at", "stacks", "bootstrapped", "version")


@dataclass(frozen=True)
class Release:
    airflow_version: str
    python: str
    executor: str
    target: str
    image: str
    config_hash: str
    deployed_at: str
    bootstrapped: bool
    stacks: dict[str, str] = field(default_factory=dict)
    airhost_version: str = __version__
    version: int | None = None  # the SSM parameter's version: one per deploy
    facts: dict[str, Any] = field(default_factory=dict)  # the target's own (topology, capacity)

    def to_json(self) -> dict[str, Any]:
        return {**self.facts, **{name: getattr(self, name) for name in _FIELDS}}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Release:
        known = {name: data[name] for name in _FIELDS if name in data}
        return cls(**{"airflow_version": "", "python": "", "executor": "", "target": "",
                      "image": "", "config_hash": "", "deployed_at": "", "bootstrapped": False,
                      **known},
                   facts={key: value for key, value in data.items() if key not in _FIELDS})


def record_release(aws: CloudEnvironment, *, config_hash: str, image: str,
                   stacks: dict[str, str], bootstrapped: bool) -> Release:
    env = aws.env
    release = Release(
        airflow_version=env.airflow.version, python=env.airflow.python,
        executor=env.airflow.executor, target=env.target, image=image, config_hash=config_hash,
        deployed_at=aws.clock.utcnow().isoformat(timespec="seconds"), bootstrapped=bootstrapped,
        stacks=stacks, facts=aws.release_facts())
    data = release.to_json()
    data.pop("version")
    version = aws.parameters.put_json(aws.parameter_name(RELEASE), data,
                                      description=f"airhost release of {env.project}-{env.name}")
    return Release.from_json({**data, "version": version})


def read_release(aws: CloudEnvironment) -> Release | None:
    data = aws.parameters.get_json(aws.parameter_name(RELEASE))
    return Release.from_json(data) if data else None
