"""Opt-in smoke test of an EKS environment in a real AWS account. Never run by ``make test``.

It creates real resources and costs money (an EKS control plane, Auto Mode nodes, an RDS
db.t4g.micro, NAT egress for about an hour: roughly $1). Run it only on purpose, with
credentials for a sandbox account, from a machine that reaches the cluster's API (the endpoint is
private by default: set ``AIRHOST_SMOKE_PUBLIC_CIDR`` to this machine's address as ``a.b.c.d/32``
to allow it)::

    AWS_PROFILE=sandbox AIRHOST_SMOKE_PUBLIC_CIDR=203.0.113.7/32 make smoke-eks

It deploys the smallest EKS example (``auto``: Auto Mode, KubernetesExecutor), pushes the
example's DAGs, triggers ``example`` through ``airhost run``, waits for the run, reads its
task log from the logs bucket in S3, then destroys the environment (its final snapshot kept).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "eks"
DAG = "example"


def test_eks_auto_deploys_runs_a_dag_with_its_log_in_s3_and_is_destroyed():
    import boto3

    from airhost.cli import main
    from airhost.config import load_project
    from airhost.deploy import deploy_environment
    from airhost.progress import Progress
    from airhost.targets.eks import EksDeployment

    project = load_project(EXAMPLE)
    env = project.environment("auto")
    cidr = os.environ.get("AIRHOST_SMOKE_PUBLIC_CIDR")
    if cidr:
        env = env.model_copy(update={"eks": env.eks.model_copy(
            update={"public_endpoint_cidrs": [cidr]})})
    try:
        deploy_environment(env, project.config_hash, Progress(), confirm=False)
        deployment = EksDeployment(env)
        assert all(state.state == "RUNNING" for state in deployment.components())
        assert main(["dags", "push", "auto", "--config", str(EXAMPLE)]) == 0
        for command in (["dags", "reserialize"], ["dags", "unpause", DAG],
                        ["dags", "trigger", DAG]):
            assert deployment.run(command, Progress(), timeout=900).exit_code == 0
        bucket = deployment.facts().buckets["LogsBucket"]
        s3 = boto3.client("s3", region_name=env.region)
        deadline = time.monotonic() + 900
        logs: list[str] = []
        while time.monotonic() < deadline and not logs:
            found = s3.list_objects_v2(Bucket=bucket, Prefix=f"task-logs/dag_id={DAG}/")
            logs = [item["Key"] for item in found.get("Contents", [])]
            time.sleep(15)
        assert logs, f"no task log of {DAG} reached s3://{bucket}/task-logs/"
        body = s3.get_object(Bucket=bucket, Key=logs[0])["Body"].read().decode()
        assert body.strip()
    finally:
        main(["destroy", "auto", "--config", str(EXAMPLE), "--yes"])
