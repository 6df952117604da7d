"""Benchmark: airhost's own time for a full ECS deploy against the AWS emulator (moto).

The emulator answers at once, so what is measured is airhost: rendering and linting the templates,
the AWS API calls it makes (count and time, request to response), and the time it spends waiting
between polls. Three scenarios, each repeated: a first deploy of a fresh environment, a re-deploy with
no changes, and a destroy. Results go to bench/results/deploy.json.

    python3 bench/deploy.py [--repeat 3] [--poll 0.05]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import boto3  # noqa: E402
import moto  # noqa: E402

from airhost.aws.session import AwsSession, Clock  # noqa: E402
from airhost.config import load_project  # noqa: E402
from airhost.render import lint as deploy_lint  # noqa: E402
from airhost.deploy import deploy_environment  # noqa: E402
from airhost.deploy.pipeline import render  # noqa: E402
from airhost.ops.destroy import destroy_environment  # noqa: E402
from airhost.targets.ecs import EcsDeployment  # noqa: E402
from airhost.progress import Progress  # noqa: E402
from bench.common import write_result  # noqa: E402
from tests.emulator.moto_gaps import start_emulator  # noqa: E402  (moto, its gaps filled)

EXAMPLE = ROOT / "examples" / "ecs"
ENVIRONMENT = "fg-solo"


class Meter:
    """API calls timed through botocore's events; waits timed through the injected clock."""

    def __init__(self, poll: float) -> None:
        self.calls: Counter[str] = Counter()
        self.call_seconds = 0.0
        self.wait_seconds = 0.0
        self.waits = 0
        self._started: dict[int, float] = {}
        self.poll = poll

    def sleep(self, seconds: float) -> None:
        start = time.perf_counter()
        time.sleep(seconds)
        self.wait_seconds += time.perf_counter() - start
        self.waits += 1

    def session(self, region: str) -> AwsSession:
        boto = boto3.session.Session(region_name=region)
        boto.events.register("before-call.*.*", self._before)
        boto.events.register("after-call.*.*", self._after)
        return AwsSession(region, boto_session=boto,
                          clock=Clock(sleep=self.sleep, poll_seconds=self.poll))

    def _before(self, model, context, **_):
        self._started[id(context)] = time.perf_counter()
        self.calls[f"{model.service_model.service_name}:{model.name}"] += 1

    def _after(self, context, **_):
        self.call_seconds += time.perf_counter() - self._started.pop(id(context), time.perf_counter())


def measure(scenario: str, poll: float, action) -> dict:
    meter = Meter(poll)
    start = time.perf_counter()
    render_lint = action(meter)
    total = time.perf_counter() - start
    return {"scenario": scenario, "total_s": round(total, 4), "render_lint_s": round(render_lint, 4),
            "aws_calls_s": round(meter.call_seconds, 4), "waiting_s": round(meter.wait_seconds, 4),
            "other_s": round(total - render_lint - meter.call_seconds - meter.wait_seconds, 4),
            "api_calls": sum(meter.calls.values()), "polls": meter.waits,
            "calls_by_operation": dict(sorted(meter.calls.items()))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--poll", type=float, default=0.05, help="seconds between polls")
    args = parser.parse_args()

    server, emulator = start_emulator()
    os.environ.update(AWS_ENDPOINT_URL=emulator.url, AWS_ACCESS_KEY_ID="bench",
                      AWS_SECRET_ACCESS_KEY="bench", AWS_EC2_METADATA_DISABLED="true")
    project = load_project(EXAMPLE)
    env = project.environment(ENVIRONMENT)

    def deploy(meter: Meter, *, cold: bool) -> float:
        if cold:
            deploy_lint._lint.cache_clear()
        start = time.perf_counter()
        stacks = render(env, project.config_hash)
        deploy_lint.lint_stacks(stacks, env.region)
        render_lint = time.perf_counter() - start
        aws = EcsDeployment(env, session=meter.session(env.region))
        deploy_environment(env, project.config_hash, Progress(), deployment=aws, stacks=stacks,
                           confirm=False)
        return render_lint

    def destroy(meter: Meter) -> float:
        destroy_environment(EcsDeployment(env, session=meter.session(env.region)), Progress())
        return 0.0

    runs = []
    try:
        for _ in range(args.repeat):
            emulator.reset()
            runs.append(measure("first deploy", args.poll, lambda m: deploy(m, cold=True)))
            runs.append(measure("re-deploy, no changes", args.poll, lambda m: deploy(m, cold=False)))
            runs.append(measure("destroy", args.poll, destroy))
    finally:
        server.stop()

    summary = {}
    for scenario in dict.fromkeys(run["scenario"] for run in runs):
        mine = [run for run in runs if run["scenario"] == scenario]
        summary[scenario] = {key: statistics.median(run[key] for run in mine)
                             for key in ("total_s", "render_lint_s", "aws_calls_s", "waiting_s",
                                         "other_s", "api_calls", "polls")}
    out = write_result("deploy", {
        "what": "deploy orchestration against the emulator",
        "example": f"examples/ecs {ENVIRONMENT}", "repeat": args.repeat, "poll_seconds": args.poll,
        "moto": moto.__version__, "boto3": boto3.__version__,
        "median": summary, "runs": runs,
        "note": "the emulator creates stacks synchronously and runs no container: waits on AWS "
                "are minutes (RDS alone ~5-10); this measures airhost's own overhead only",
    })
    for scenario, values in summary.items():
        print(f"{scenario:24} total {values['total_s']:.2f}s  render+lint {values['render_lint_s']:.2f}s"
              f"  aws {values['aws_calls_s']:.2f}s ({values['api_calls']:.0f} calls)"
              f"  waiting {values['waiting_s']:.2f}s ({values['polls']:.0f} polls)")
    print(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
