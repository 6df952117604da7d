"""Opt-in smoke test of an EC2 environment in a real AWS account. Never run by ``make test``.

It creates real resources and costs money (a t4g.large, an RDS db.t4g.micro, a NAT gateway for
about an hour: roughly $0.30). Run it only on purpose, with credentials for a sandbox account::

    AWS_PROFILE=sandbox make smoke-ec2

The deploy builds the wheelhouse (arm64, the example's Python) from the release's lock and
uploads it to the environment's DAG bucket, as ``airhost deploy`` does; ``AIRHOST_SMOKE_WHEELHOUSE``
(an ``s3://`` prefix) uses one of your own instead. The test deploys the ``ec2-solo`` example,
runs ``airflow version`` through Run Command, checks the group is in service, then destroys it.
"""

from __future__ import annotations

import os
from pathlib import Path



EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "ec2"


def test_ec2_solo_deploys_runs_a_command_and_is_destroyed():
    from airhost.config import load_project
    from airhost.deploy import deploy_environment
    from airhost.progress import Progress
    from airhost.targets.ec2 import Ec2Deployment

    project = load_project(EXAMPLE)
    env = project.environment("ec2-solo")
    wheelhouse = os.environ.get("AIRHOST_SMOKE_WHEELHOUSE")
    if wheelhouse:
        env = env.model_copy(update={"ec2": env.ec2.model_copy(update={"wheelhouse": wheelhouse})})
    try:
        deployment = Ec2Deployment(env, project_root=project.root)
        deploy_environment(env, project.config_hash, Progress(), deployment=deployment,
                           confirm=False)
        result = deployment.run(["version"], Progress(), timeout=600)
        assert result.exit_code == 0
        assert all(state.state == "RUNNING" for state in deployment.components())
    finally:
        from airhost.cli import main

        main(["destroy", "ec2-solo", "--config", str(EXAMPLE), "--yes"])
