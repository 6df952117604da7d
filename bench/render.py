"""Time to render and lint every ECS example environment.

render: build every stack's template in memory (median of --runs), and serialize it to JSON and YAML;
cfn-lint: every template in-process (after a one-off import, timed apart);
checkov: one run per environment over its templates, with the project's settings and custom check.

Run: python bench/render.py [--runs N] [--no-checkov]   (writes bench/results/render.json)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import write_result  # noqa: E402
from airhost.config import load_project  # noqa: E402
from airhost.render.ecs import render_stacks  # noqa: E402
from airhost.render.files import format_template  # noqa: E402

EXAMPLES = ("ecs",)
CHECKOV_SETTINGS = ROOT / "tests" / "lint" / "checkov.yaml"
CHECKOV_CHECKS = ROOT / "tests" / "lint" / "checks"


def _seconds(started: float) -> float:
    return round(time.perf_counter() - started, 4)


def _checkov(binary: Path, folder: Path) -> dict:
    environment = {**os.environ, "BC_SKIP_MAPPING": "TRUE", "CKV_SKIP_PACKAGE_UPDATE_CHECK": "TRUE"}
    started = time.perf_counter()
    process = subprocess.run([str(binary), "-d", str(folder), "--config-file", str(CHECKOV_SETTINGS),
                              "--external-checks-dir", str(CHECKOV_CHECKS), "-o", "json"],
                             capture_output=True, text=True, env=environment, check=False)
    seconds = _seconds(started)
    report = json.loads(process.stdout)
    if isinstance(report, list):
        report = next(r for r in report if r["check_type"] == "cloudformation")
    summary = report["summary"]
    return {"seconds": seconds, "passed": summary["passed"], "failed": summary["failed"],
            "skipped_checks": _skipped_checks()}


def _skipped_checks() -> int:
    return sum(1 for line in CHECKOV_SETTINGS.read_text().splitlines() if line.strip().startswith("- CKV"))


def bench_environment(env, config_hash: str, runs: int, lint, checkov: Path | None) -> dict:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        stacks = render_stacks(env, config_hash)
        timings.append(time.perf_counter() - started)
    started = time.perf_counter()
    for stack in stacks:
        format_template(stack.template, "json")
    as_json = _seconds(started)
    started = time.perf_counter()
    for stack in stacks:
        format_template(stack.template, "yaml")
    as_yaml = _seconds(started)
    result: dict = {
        "stacks": len(stacks),
        "resources": sum(len(stack.template["Resources"]) for stack in stacks),
        "render_seconds_median": round(statistics.median(timings), 5),
        "to_json_seconds": as_json,
        "to_yaml_seconds": as_yaml,
        "cfn_lint": {},
    }
    errors = warnings = 0
    for stack in stacks:
        started = time.perf_counter()
        findings = lint(stack.template, env.region, accepted=True)
        result["cfn_lint"][stack.layer] = {
            "seconds": _seconds(started),
            "errors": sum(f.level == "error" for f in findings),
            "warnings": sum(f.level == "warning" for f in findings),
            "findings": [str(f) for f in findings],
        }
        errors += result["cfn_lint"][stack.layer]["errors"]
        warnings += result["cfn_lint"][stack.layer]["warnings"]
    result["cfn_lint_errors"], result["cfn_lint_warnings"] = errors, warnings
    if checkov is not None:
        with tempfile.TemporaryDirectory() as folder:
            for stack in stacks:
                Path(folder, f"{stack.layer}.json").write_text(json.dumps(stack.template))
            result["checkov"] = _checkov(checkov, Path(folder))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="renders per environment (median taken)")
    parser.add_argument("--no-checkov", action="store_true", help="skip the checkov timings")
    args = parser.parse_args()
    checkov = Path(os.environ.get("AIRHOST_CHECKOV") or ROOT / ".venv-checkov" / "bin" / "checkov")
    if args.no_checkov or not checkov.exists():
        checkov = None
    started = time.perf_counter()
    import cfnlint.api  # noqa: F401  (what lint_template imports on first use)

    from airhost.render.lint import lint_template

    lint_import = _seconds(started)
    environments = {}
    for example in EXAMPLES:
        project = load_project(ROOT / "examples" / example)
        for name, env in project.environments.items():
            if env.target == "ecs":
                key = f"{example}/{name}"
                environments[key] = bench_environment(env, project.config_hash, args.runs, lint_template,
                                                      checkov)
                milliseconds = environments[key]["render_seconds_median"] * 1000
                print(f"{key}: render {milliseconds:.1f} ms", file=sys.stderr)
    path = write_result("render", {
        "runs": args.runs,
        "cfn_lint_import_seconds": lint_import,
        "checkov": str(checkov) if checkov else None,
        "environments": environments,
        "totals": {
            "render_seconds": round(sum(e["render_seconds_median"] for e in environments.values()), 4),
            "cfn_lint_seconds": round(sum(s["seconds"] for e in environments.values()
                                          for s in e["cfn_lint"].values()), 2),
            "checkov_seconds": round(sum(e.get("checkov", {}).get("seconds", 0)
                                         for e in environments.values()), 2),
        },
    })
    print(f"wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
