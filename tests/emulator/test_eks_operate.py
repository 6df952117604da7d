"""Day 2 on an EKS environment (emulator + Kubernetes API double), as a user types it: run,
status, logs, scale, park and resume, the DAG bundle, kubeconfig, destroy."""

from __future__ import annotations

import json
import os
import stat

import boto3
import pytest
import yaml

from tests.emulator.kubernetes_api import valid_eks_token
from tests.emulator.test_eks_deploy import Kube, kube  # noqa: F401  (the fixture)

pytestmark = pytest.mark.emulator


def test_run_status_and_logs_through_the_cli(kube, kubernetes, run_cli):  # noqa: F811
    kube.deploy("auto")
    root = str(kube.root)
    kubernetes.script("dags list-import-errors", exit_code=3, lines=["dag_a.py: SyntaxError"])
    ran = run_cli("run", "auto", "--config", root, "--", "airflow", "dags", "list-import-errors")
    assert ran.exit_code == 3 and "dag_a.py: SyntaxError" in ran.stdout
    assert not [name for name in kubernetes.stored("pods", "airflow")
                if name.startswith("airhost-run-")]  # the one-off pod is removed once read
    kubernetes.script("sleep 3600", hangs=True, lines=["waiting"])
    slow = run_cli("run", "auto", "--config", root, "--timeout", "1", "--", "bash", "-c",
                   "sleep 3600")
    assert slow.exit_code != 0 and "ran longer than 1s" in slow.stderr
    assert not [n for n in kubernetes.stored("pods", "airflow") if n.startswith("airhost-run-")]

    status = run_cli("status", "auto", "--config", root, "--output", "json")
    assert status.exit_code == 0, status.stderr
    data = json.loads(status.stdout)
    assert data["deployed"] is True and data["running"] is True
    components = {c["component"]: (c["desired"], c["running"]) for c in data["components"]}
    assert components["scheduler"] == (1, 1) and components["api-server"] == (1, 1)
    kube_status = data["kubernetes"]
    assert kube_status["reachable"] is True and kube_status["nodes_ready"] == 1
    assert kube_status["helm_release"]["status"] == "deployed"
    assert kube_status["helm_release"]["chart_version"] == "1.21.0"
    assert data["release"]["target"] == "eks"

    logs = run_cli("logs", "auto", "scheduler", "--config", root)
    assert logs.exit_code == 0, logs.stderr
    assert "airflow-scheduler: component started" in logs.stdout
    assert "airflow-api-server" not in logs.stdout
    unknown = run_cli("logs", "auto", "webserver", "--config", root)
    assert unknown.exit_code == 2 and "scheduler" in unknown.stderr

    # two schedulers: following the component follows both pods, each line named by its pod
    assert run_cli("scale", "auto", "scheduler=2", "--config", root).exit_code == 0
    followed = run_cli("logs", "auto", "scheduler", "--follow", "--config", root)
    assert followed.exit_code == 0, followed.stderr
    pods = {line.split(" | ")[0] for line in followed.stdout.splitlines() if " | " in line}
    assert len(pods) == 2 and all("scheduler" in pod for pod in pods)
    followed_pods = {pod for pod, query in kubernetes.log_reads if query.get("follow") == "true"}
    assert followed_pods == pods


def test_deploy_from_the_cli_then_scale_park_resume(kube, kubernetes, run_cli):  # noqa: F811
    root = str(kube.root)
    deployed = run_cli("deploy", "auto", "--config", root, "--yes")
    assert deployed.exit_code == 0, deployed.stderr
    assert "Database migrating done!" in deployed.stdout + deployed.stderr  # the Job's log
    assert "helm upgrade --install" in deployed.stderr  # progress goes to stderr
    scaled = run_cli("scale", "auto", "scheduler=2", "--config", root, "--output", "json")
    assert scaled.exit_code == 0, scaled.stderr
    assert kubernetes.stored("deployments", "airflow")["airflow-scheduler"]["spec"]["replicas"] == 2
    parked = run_cli("scale", "auto", "--to-zero", "--config", root)
    assert parked.exit_code == 0, parked.stderr
    deployment = kube.aws("auto")
    assert all(c.desired == 0 and c.state == "STOPPED" for c in deployment.components())
    assert deployment.kubernetes.ready_nodes() == 0  # nothing runs: Auto Mode keeps no node
    assert json.loads(run_cli("status", "auto", "--config", root, "-o", "json").stdout)["parked"]
    assert egress_of(deployment) == "parked"  # the NAT instance goes with the nodes
    assert parked.stderr.index("scaling scheduler") < parked.stderr.index("egress of auto: parked")
    resumed = run_cli("scale", "auto", "--resume", "--config", root)
    assert resumed.exit_code == 0, resumed.stderr
    assert egress_of(deployment) == "running"
    assert resumed.stderr.index("egress of auto: running") < resumed.stderr.index("scaling scheduler")
    states = {c.component: c.desired for c in deployment.components()}
    assert states["scheduler"] == 2 and states["api-server"] == 1  # what ran, manual scaling too
    refused = run_cli("scale", "auto", "webserver=1", "--config", root)
    assert refused.exit_code == 2 and "scheduler" in refused.stderr
    # the scheduler's replicas were last set through the scale subresource: server-side apply
    # would refuse Helm's next upgrade on the conflict unless it takes the field back
    redeployed = run_cli("deploy", "auto", "--config", root, "--yes")
    assert redeployed.exit_code == 0, redeployed.stderr
    assert states_of(deployment)["scheduler"] == 1  # the configured count again


def states_of(deployment) -> dict[str, int]:
    return {c.component: c.desired for c in deployment.components()}


def egress_of(deployment) -> str:
    stack = boto3.client("cloudformation").describe_stacks(
        StackName=deployment.stack_name("network"))["Stacks"][0]
    return {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}["Egress"]


def test_dags_bundle_kubeconfig_and_destroy(kube, kubernetes, run_cli, tmp_path):  # noqa: F811
    kube.deploy("auto")
    root = str(kube.root)
    (kube.root / "dags" / "hello.py").write_text("# a DAG\n")
    pushed = run_cli("dags", "push", "auto", "--config", root, "--output", "json")
    assert pushed.exit_code == 0, pushed.stderr
    bucket = kube.aws("auto").facts().buckets["DagsBucket"]
    keys = [o["Key"] for o in boto3.client("s3").list_objects_v2(Bucket=bucket)["Contents"]]
    assert "dags/hello.py" in keys  # the bundle the chart's components read
    # listing asks the API server, which is private here: it says so and how to list instead
    listed = run_cli("dags", "list", "auto", "--config", root)
    assert listed.exit_code != 0 and "airhost run auto -- dags list" in listed.stderr

    target = tmp_path / "kubeconfig"
    written = run_cli("kubeconfig", "auto", "--config", root, "--file", str(target))
    assert written.exit_code == 0, written.stderr
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    config = yaml.safe_load(target.read_text())
    assert config["clusters"][0]["cluster"]["server"] == kubernetes.url
    user = config["users"][0]["user"]
    assert "token" not in user and user["exec"]["command"] == "airhost"
    assert "k8s-aws-v1." not in target.read_text()  # no secret in the file
    credential = run_cli("kubeconfig", "auto", "--config", root, "--exec-credential")
    token = json.loads(credential.stdout)["status"]["token"]
    assert valid_eks_token(f"Bearer {token}")

    destroyed = run_cli("destroy", "auto", "--config", root, "--yes", "--output", "json")
    assert destroyed.exit_code == 0, destroyed.stderr
    result = json.loads(destroyed.stdout)
    assert result["deleted_stacks"] == ["kube-auto-compute", "kube-auto-data", "kube-auto-network"]
    assert result["snapshot"] and result["buckets_kept"]
    assert not kubernetes.stored("deployments", "airflow")  # the release went first
    assert ("v1", "namespaces", "", "airflow") not in kubernetes.objects
    assert boto3.client("eks").list_clusters()["clusters"] == []


def test_a_cluster_refuses_a_request_without_an_eks_token(kube, kubernetes):  # noqa: F811
    kube.deploy("auto")
    from airhost.tools.kubernetes import Kubernetes, KubernetesDenied, Token

    deployment = kube.aws("auto")
    stranger = Kubernetes(kubernetes.url, kubernetes.ca_pem,
                          lambda: Token("not-a-token", deployment.kubernetes.token().expires_at))
    with pytest.raises(KubernetesDenied) as denied:
        stranger.pods("airflow", {})
    assert "access entry" in denied.value.hint
    assert deployment.kubernetes.pods("airflow", {"component": "scheduler"})
