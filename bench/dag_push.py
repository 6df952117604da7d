"""Latency of `airhost dags push` until the new version is visible through Airflow's API.

Three bundles, real Airflow each: the local target's bundle folder with the project's one DAG, the
same with a hundred more DAG files in the folder, and an S3 bundle served by a moto server on
127.0.0.1 (the local environment reads it with `local.dag_bucket`, as a cloud one would). For each,
N pushes of a changed DAG file and N pushes of a new DAG file; the two folder bundles run at once and
their pushes are interleaved (small, large, small, …). Before each push the bench waits (bounded) for
a quiet machine and records the load. Reported per kind:
- total: the whole command (import check, upload, wait);
- check / upload / visible: the parts, as the command reports them (`seconds` in its JSON).

Run: python bench/dag_push.py [--pushes N] [--quiet-load L] [--max-wait S]
(writes bench/results/dag_push.json)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import wait_for_quiet, write_result  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def airhost(*args: str, env: dict | None = None) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([sys.executable, "-m", "airhost", *args], capture_output=True, text=True,
                            check=False, cwd=REPO, env=env)
    if result.returncode != 0:
        raise SystemExit(f"airhost {' '.join(args)} failed:\n{result.stderr}")
    return result


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def summary(values: list[float]) -> dict[str, float]:
    return {"p50": round(statistics.median(values), 2), "p95": round(percentile(values, 0.95), 2),
            "max": round(max(values), 2), "runs": len(values)}


def timed_push(root: Path, env: dict, quiet: dict) -> dict:
    taken = wait_for_quiet(quiet["load"], quiet["max_wait"])
    started = time.monotonic()
    result = json.loads(airhost("dags", "push", "--config", str(root), "-o", "json", env=env).stdout)
    total = time.monotonic() - started
    parts = result.get("seconds") or {}
    return {"total": total, "check": parts.get("check"), "upload": parts.get("upload"),
            "visible": float(result["seconds_to_visible"]), **taken}


class Pusher:
    """One environment's pushes: a changed DAG, then a new DAG, each timed."""

    def __init__(self, root: Path, env: dict, quiet: dict) -> None:
        self.root, self.env, self.quiet = root, env, quiet
        self.dags = root / "dags"
        self.template = (self.dags / "example_pipeline.py").read_text()
        self.runs: dict[str, list[dict]] = {"changed_dag": [], "new_dag": []}

    def start(self) -> None:
        airhost("up", "--config", str(self.root), env=self.env)
        airhost("dags", "push", "--config", str(self.root), env=self.env)

    def push_changed(self, number: int) -> None:
        (self.dags / "example_pipeline.py").write_text(self.template.replace(
            "print(f\"example_pipeline", f"print(f\"push {number}: example_pipeline"))
        self.runs["changed_dag"].append(timed_push(self.root, self.env, self.quiet))

    def push_new(self, number: int) -> None:
        dag_id = f"bench_new_{number}"
        (self.dags / f"{dag_id}.py").write_text(self.template.replace("example_pipeline", dag_id))
        self.runs["new_dag"].append(timed_push(self.root, self.env, self.quiet))

    def result(self) -> dict:
        out = {}
        for kind, runs in self.runs.items():
            out[kind] = {part: summary([run[part] for run in runs if run[part] is not None])
                         for part in ("total", "check", "upload", "visible")}
            out[kind]["load_1m"] = {"min": min(r["load_1m"] for r in runs),
                                    "max": max(r["load_1m"] for r in runs),
                                    "median": round(statistics.median(r["load_1m"] for r in runs), 2)}
            out[kind]["loaded_runs"] = sum(1 for r in runs if r["loaded"])
            out[kind]["runs"] = [{k: (round(v, 2) if isinstance(v, float) else v) for k, v in r.items()}
                                 for r in runs]
        return out


def with_hundred_more(root: Path) -> None:
    template = (root / "dags" / "example_pipeline.py").read_text()
    for number in range(100):
        dag_id = f"filler_{number:03d}"
        (root / "dags" / f"{dag_id}.py").write_text(template.replace("example_pipeline", dag_id))


def project(folder: Path, name: str, port: int, extra: str = "") -> Path:
    root = folder / name
    airhost("init", str(root), "--name", name)
    text = (root / "airhost.yaml").read_text().replace("      port: 8080", f"      port: {port}{extra}")
    (root / "airhost.yaml").write_text(text)
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pushes", type=int, default=10)
    parser.add_argument("--quiet-load", type=float, default=None,
                        help="one-minute load to wait for before each push (default: CPU count)")
    parser.add_argument("--max-wait", type=float, default=30.0, help="longest wait for it, seconds")
    args = parser.parse_args()
    quiet = {"load": args.quiet_load, "max_wait": args.max_wait}
    from moto.server import ThreadedMotoServer
    import boto3

    folder = Path(tempfile.mkdtemp(prefix="bench-push-", dir="/tmp"))
    os.chmod(folder, 0o755)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    aws_env = {**os.environ, "AWS_ENDPOINT_URL": f"http://{host}:{port}", "AWS_ACCESS_KEY_ID": "bench",
               "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "eu-west-1"}
    roots = []
    try:
        boto3.client("s3", endpoint_url=aws_env["AWS_ENDPOINT_URL"], region_name="eu-west-1",
                     aws_access_key_id="bench", aws_secret_access_key="bench").create_bucket(
            Bucket="bench-bundle", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        small_root = project(folder, "folder-bundle", 8796)
        large_root = project(folder, "folder-bundle-101", 8798)
        with_hundred_more(large_root)
        roots += [(small_root, None), (large_root, None)]
        small = Pusher(small_root, dict(os.environ), quiet)
        large = Pusher(large_root, dict(os.environ), quiet)
        small.start()
        large.start()
        print("local bundle folder, 1 and 101 DAG files, interleaved:", file=sys.stderr)
        for number in range(args.pushes):
            for pusher in (small, large):
                pusher.push_changed(number)
            for pusher in (small, large):
                pusher.push_new(number)
            print(f"  push {number}: changed {small.runs['changed_dag'][-1]['total']:.1f} / "
                  f"{large.runs['changed_dag'][-1]['total']:.1f} s, new "
                  f"{small.runs['new_dag'][-1]['total']:.1f} / {large.runs['new_dag'][-1]['total']:.1f} s",
                  file=sys.stderr)
        airhost("down", "--config", str(small_root))
        airhost("down", "--config", str(large_root))
        s3_root = project(folder, "s3-bundle", 8797, "\n      dag_bucket: s3://bench-bundle/dags")
        roots.append((s3_root, aws_env))
        s3 = Pusher(s3_root, aws_env, quiet)
        s3.start()
        print("S3 bundle on the emulator:", file=sys.stderr)
        for number in range(args.pushes):
            s3.push_changed(number)
            s3.push_new(number)
            print(f"  push {number}: changed {s3.runs['changed_dag'][-1]['total']:.1f} s, new "
                  f"{s3.runs['new_dag'][-1]['total']:.1f} s", file=sys.stderr)
    finally:
        for root, env in roots:
            subprocess.run([sys.executable, "-m", "airhost", "down", "--config", str(root)],
                           capture_output=True, check=False, cwd=REPO, env=env)
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)
    result = {
        "unit": "seconds",
        "notes": "total = the whole dags push command; check / upload / visible = its parts as the "
                 "command reports them (visible: from the upload's end until the API shows the "
                 "version parsed after it). dags.refresh_seconds is 5 (the init default). Each push "
                 "after a bounded wait for load_1m below quiet_load; loaded_runs counts the pushes "
                 "taken with the machine still above it.",
        "quiet_load": args.quiet_load if args.quiet_load is not None else float(os.cpu_count() or 1),
        "local_folder_bundle": small.result(),
        "local_folder_bundle_101_files": large.result(),
        "s3_bundle_emulator": s3.result(),
    }
    path = write_result("dag_push", result)
    print(json.dumps({k: v for k, v in result.items()}, indent=2)[:4000])
    print(f"written to {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
