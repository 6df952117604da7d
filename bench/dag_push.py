"""Latency of `airhost dags push` until the new version is visible through Airflow's API.

Two bundles, real Airflow each: the local target's bundle folder, and an S3 bundle served by a moto
server on 127.0.0.1 (the local environment reads it with `local.dag_bucket`, as a cloud one would).
For each, N pushes of a changed DAG file and N pushes of a new DAG file. Reported per kind:
- total: the whole command (import check with the environment's Airflow, upload, wait);
- visible: from the upload's end to the API showing the parsed version (airhost's own figure).

Run: python bench/dag_push.py [--pushes N]   (writes bench/results/dag_push.json)
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

from bench.common import write_result  # noqa: E402

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


def timed_push(root: Path, env: dict) -> tuple[float, float]:
    started = time.monotonic()
    result = json.loads(airhost("dags", "push", "--config", str(root), "-o", "json", env=env).stdout)
    return time.monotonic() - started, float(result["seconds_to_visible"])


def measure(root: Path, pushes: int, env: dict) -> dict[str, dict]:
    dags = root / "dags"
    template = (dags / "example_pipeline.py").read_text()
    airhost("up", "--config", str(root), env=env)
    airhost("dags", "push", "--config", str(root), env=env)
    changed_total, changed_visible, new_total, new_visible = [], [], [], []
    for number in range(pushes):
        (dags / "example_pipeline.py").write_text(template.replace(
            "print(f\"example_pipeline", f"print(f\"push {number}: example_pipeline"))
        total, visible = timed_push(root, env)
        changed_total.append(total)
        changed_visible.append(visible)
        dag_id = f"bench_new_{number}"
        (dags / f"{dag_id}.py").write_text(template.replace("example_pipeline", dag_id))
        total, visible = timed_push(root, env)
        new_total.append(total)
        new_visible.append(visible)
        print(f"  push {number}: changed {changed_total[-1]:.1f} s, new {new_total[-1]:.1f} s",
              file=sys.stderr)
    return {"changed_dag": {"total": summary(changed_total), "visible": summary(changed_visible)},
            "new_dag": {"total": summary(new_total), "visible": summary(new_visible)}}


def project(folder: Path, name: str, port: int, extra: str = "") -> Path:
    root = folder / name
    airhost("init", str(root), "--name", name)
    text = (root / "airhost.yaml").read_text().replace("      port: 8080", f"      port: {port}{extra}")
    (root / "airhost.yaml").write_text(text)
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pushes", type=int, default=10)
    args = parser.parse_args()
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
        local_root = project(folder, "folder-bundle", 8796)
        roots.append((local_root, None))
        print("local bundle folder:", file=sys.stderr)
        folder_result = measure(local_root, args.pushes, dict(os.environ))
        airhost("down", "--config", str(local_root))
        s3_root = project(folder, "s3-bundle", 8797, "\n      dag_bucket: s3://bench-bundle/dags")
        roots.append((s3_root, aws_env))
        print("S3 bundle on the emulator:", file=sys.stderr)
        s3_result = measure(s3_root, args.pushes, aws_env)
    finally:
        for root, env in roots:
            subprocess.run([sys.executable, "-m", "airhost", "down", "--config", str(root)],
                           capture_output=True, check=False, cwd=REPO, env=env)
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)
    result = {
        "unit": "seconds",
        "notes": "total = the whole dags push command (import check, upload, wait); visible = from "
                 "the upload's end until the API shows the version parsed after it. dags.refresh_seconds "
                 "is 5 (the init default): new files wait for the bundle's next refresh; changed files "
                 "are re-parsed on request.",
        "local_folder_bundle": folder_result,
        "s3_bundle_emulator": s3_result,
    }
    path = write_result("dag_push", result)
    print(json.dumps(result, indent=2))
    print(f"written to {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
