"""``airhost-node units``, the node script itself: what a node reports of its units.

It runs the very script the user data installs, under a scratch root, with a ``systemctl`` on
PATH that answers ``show`` as systemd does (no systemd runs here).
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

from airhost.render.ec2 import node

SCRIPT = Path(node.__file__).parent / "files" / "airhost-node"


def fake_systemctl(folder: Path, answers: dict[str, dict[str, object]]) -> None:
    """A systemctl whose ``show UNIT --property ...`` prints ``answers[UNIT]`` as Key=Value lines."""
    table = {unit: "\n".join(f"{key}={value}" for key, value in props.items())
             for unit, props in answers.items()}
    program = folder / "systemctl"
    program.write_text(f"#!{sys.executable}\nimport sys\nTABLE = {table!r}\n"
                       "print(TABLE.get(sys.argv[2], 'ActiveState=inactive\\nNRestarts=0'))\n")
    program.chmod(program.stat().st_mode | stat.S_IEXEC)
    journal = folder / "journalctl"
    journal.write_text("#!/bin/sh\necho 'airhost-node: pip install failed (exit 1)'\n")
    journal.chmod(journal.stat().st_mode | stat.S_IEXEC)


def report(tmp_path: Path, answers: dict[str, dict[str, object]]) -> dict:
    root, tools = tmp_path / "root", tmp_path / "bin"
    (root / "etc/airhost/env").mkdir(parents=True)
    (root / "var/log/airflow").mkdir(parents=True)
    tools.mkdir()
    for component in ("scheduler", "api-server", "triggerer", "utils"):
        (root / f"etc/airhost/env/{component}.env").write_text("AIRFLOW_HOME=/opt/airflow\n")
    (root / "var/log/airflow/scheduler.log").write_text(
        "".join(f"line {n}\n" for n in range(40)) +
        "airflow.exceptions.AirflowConfigException: [core/parallelism] not an integer\n")
    fake_systemctl(tools, answers)
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "units"], capture_output=True, text=True, check=False,
        env={**os.environ, "AIRHOST_NODE_ROOT": str(root),
             "PATH": f"{tools}:{os.environ['PATH']}"})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_a_unit_that_keeps_exiting_is_reported_with_its_last_lines(tmp_path):
    an_hour_ago = int((time.monotonic() - 3600) * 1e6)
    found = report(tmp_path, {
        "airhost-node.service": {"ActiveState": "active", "SubState": "exited",
                                 "Result": "success", "NRestarts": 0},
        "airflow-scheduler.service": {"ActiveState": "activating", "SubState": "auto-restart",
                                      "Result": "exit-code", "NRestarts": 3, "ExecMainStatus": 1,
                                      "ActiveEnterTimestampMonotonic": 0},
        # restarted twice once, up for an hour since: it started, it is not crash-looping
        "airflow-api-server.service": {"ActiveState": "active", "SubState": "running",
                                       "Result": "success", "NRestarts": 2,
                                       "ActiveEnterTimestampMonotonic": an_hour_ago},
    })
    assert set(found["components"]) == {"scheduler", "api-server", "triggerer"}  # utils: no unit
    scheduler = found["components"]["scheduler"]
    assert scheduler["crash_looping"] is True and scheduler["restarts"] == 3
    assert scheduler["exit_status"] == 1
    assert scheduler["log"][-1].endswith("[core/parallelism] not an integer")
    assert len(scheduler["log"]) == 15
    api = found["components"]["api-server"]
    assert api["crash_looping"] is False and 3500 < api["up_seconds"] < 3700
    assert "log" not in api
    assert found["components"]["triggerer"]["active"] == "inactive"
    assert found["bootstrap"]["result"] == "success"


def test_a_failed_bootstrap_comes_with_its_journal(tmp_path):
    found = report(tmp_path, {
        "airhost-node.service": {"ActiveState": "failed", "SubState": "failed",
                                 "Result": "exit-code", "NRestarts": 0}})
    assert found["bootstrap"]["result"] == "exit-code"
    assert found["bootstrap"]["log"] == ["airhost-node: pip install failed (exit 1)"]
