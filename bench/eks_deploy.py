"""Benchmark: airhost's own time for an EKS deploy against the AWS emulator and the Kubernetes double.

Like bench/deploy.py for ECS: the emulator (moto) and the Kubernetes API double answer at once
and run no container, so what is measured is airhost, and real Helm (helm-python-sdk) installing
the official chart's offline copy: render and lint, the AWS calls, the Kubernetes requests, the
time inside Helm, and the time waiting between polls. Scenarios: a first deploy, a re-deploy with
no changes, a destroy. Results go to bench/results/eks_deploy.json.

    python3 bench/eks_deploy.py [--repeat 1] [--poll 0.05]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import boto3  # noqa: E402
import moto  # noqa: E402

from airhost.config import load_project  # noqa: E402
from airhost.deploy import deploy_environment  # noqa: E402
from airhost.deploy.pipeline import render  # noqa: E402
from airhost.ops.destroy import destroy_environment  # noqa: E402
from airhost.progress import Progress  # noqa: E402
from airhost.render import lint as deploy_lint  # noqa: E402
from airhost.targets.eks import EksDeployment  # noqa: E402
from airhost.tools import helm  # noqa: E402
from bench.common import write_result  # noqa: E402
from bench.deploy import Meter, measure  # noqa: E402
from tests.emulator import moto_eks  # noqa: E402  (before the server: EKS in CloudFormation)
from tests.emulator.kubernetes_api import start_kubernetes_api  # noqa: E402
from tests.emulator.moto_gaps import start_emulator  # noqa: E402

EXAMPLE = ROOT / "examples" / "eks"
ENVIRONMENT = "auto"
CHART = ROOT.parent / "shared" / "charts" / "airflow-1.21.0"


def scratch_chart(folder: Path) -> Path:
    """The offline chart with a stub for the bundled PostgreSQL it never enables (its README)."""
    chart = folder / "airflow"
    shutil.copytree(CHART, chart)
    stub = chart / "charts" / "postgresql"
    stub.mkdir(parents=True, exist_ok=True)
    (stub / "Chart.yaml").write_text("apiVersion: v2\nname: postgresql\nversion: 13.2.24\n")
    return chart


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--poll", type=float, default=0.05, help="seconds between polls")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="airhost-bench-"))
    server, emulator = start_emulator()
    kube_server, kube = start_kubernetes_api()
    moto_eks.KUBERNETES.update(url=kube.url, ca_pem=kube.ca_pem)
    os.environ.update(AWS_ENDPOINT_URL=emulator.url, AWS_ACCESS_KEY_ID="bench",
                      AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="eu-west-1",
                      AWS_EC2_METADATA_DISABLED="true",
                      AIRHOST_HELM_CHART=str(scratch_chart(folder)))
    project = load_project(EXAMPLE)
    env = project.environment(ENVIRONMENT)
    helm_seconds = [0.0]
    real = helm.install_or_upgrade

    def timed_helm(*a, **k):
        start = time.perf_counter()
        try:
            return real(*a, **k)
        finally:
            helm_seconds[0] += time.perf_counter() - start

    helm.install_or_upgrade = timed_helm

    def deploy(meter: Meter, *, cold: bool) -> float:
        if cold:
            deploy_lint._lint.cache_clear()
        start = time.perf_counter()
        stacks = render(env, project.config_hash)
        deploy_lint.lint_stacks(stacks, env.region)
        render_lint = time.perf_counter() - start
        aws = EksDeployment(env, session=meter.session(env.region))
        deploy_environment(env, project.config_hash, Progress(), deployment=aws, stacks=stacks,
                           confirm=False)
        return render_lint

    def destroy(meter: Meter) -> float:
        destroy_environment(EksDeployment(env, session=meter.session(env.region)), Progress())
        return 0.0

    runs = []

    def scenario(name: str, action) -> None:
        kube.requests.clear()
        helm_seconds[0] = 0.0
        run = measure(name, args.poll, action)
        run["kubernetes_requests"] = len(kube.requests)
        run["helm_s"] = round(helm_seconds[0], 4)
        runs.append(run)

    try:
        for _ in range(args.repeat):
            emulator.reset()
            kube.reset()
            kube.script("db migrate", lines=["Database migrating done!"])
            scenario("first deploy", lambda m: deploy(m, cold=True))
            scenario("re-deploy, no changes", lambda m: deploy(m, cold=False))
            scenario("destroy", destroy)
    finally:
        server.stop()
        kube_server.shutdown()
        shutil.rmtree(folder, ignore_errors=True)

    keys = ("total_s", "render_lint_s", "aws_calls_s", "helm_s", "waiting_s", "other_s",
            "api_calls", "kubernetes_requests", "polls")
    summary = {}
    for name in dict.fromkeys(run["scenario"] for run in runs):
        mine = [run for run in runs if run["scenario"] == name]
        summary[name] = {key: statistics.median(run[key] for run in mine) for key in keys}
    out = write_result("eks_deploy", {
        "what": "EKS deploy orchestration against the emulator and the Kubernetes API double",
        "example": f"examples/eks {ENVIRONMENT}", "repeat": args.repeat, "poll_seconds": args.poll,
        "load_average": os.getloadavg(), "moto": moto.__version__, "boto3": boto3.__version__,
        "median": summary, "runs": runs,
        "note": "no container runs and the cluster is a double: on AWS the cluster alone takes "
                "~10 minutes and the pods minutes more; 'other_s' includes Helm (helm_s) and "
                "the Kubernetes requests",
    })
    for name, values in summary.items():
        print(f"{name:24} total {values['total_s']:.2f}s  render+lint {values['render_lint_s']:.2f}s"
              f"  aws {values['aws_calls_s']:.2f}s ({values['api_calls']:.0f} calls)"
              f"  helm {values['helm_s']:.2f}s  k8s {values['kubernetes_requests']:.0f} requests")
    print(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
