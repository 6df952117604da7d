"""A component that cannot start is reported within seconds, by name, with its error."""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
from pathlib import Path

import pytest

from tests.airflow.conftest import airhost

pytestmark = [pytest.mark.airflow, pytest.mark.timeout(1800)]


@pytest.fixture
def broken_triggerer():
    """A project whose triggerer capacity is not a number: Airflow's triggerer exits at start."""
    folder = Path(tempfile.mkdtemp(prefix="airhost-failure-", dir="/tmp"))
    os.chmod(folder, 0o755)
    root = folder / "project"
    airhost("init", str(root), "--name", "failure")
    config = root / "airhost.yaml"
    config.write_text(config.read_text().replace(
        "      parallelism: 32        # tasks at once across the environment (Airflow's default)\n",
        "      parallelism: 32\n    triggerer:\n      capacity: plenty\n"))
    yield root
    airhost("down", "--config", str(root), check=False)
    shutil.rmtree(folder, ignore_errors=True)


def test_a_crash_looping_component_stops_up_with_its_error_and_shows_in_status(broken_triggerer):
    root = broken_triggerer
    started = time.monotonic()
    up = airhost("up", "--config", str(root), "--timeout", "900", check=False, timeout=1500)
    total = time.monotonic() - started
    assert up.returncode != 0
    assert "triggerer exits at start" in up.stderr, up.stderr
    assert "capacity" in up.stderr  # the last lines of its own log say what is wrong
    assert "airhost up local" in up.stderr  # and what to do
    assert "Traceback (most recent call last)" not in up.stderr.split("The last lines of its log")[0]
    # the crash ended the wait, not the health timeout (how soon depends on how long the component
    # takes to import and fail: ~10 s on an idle laptop, minutes on a saturated machine)
    assert "not healthy within" not in up.stderr
    seconds = int(re.search(r"stopped \d+ times in (\d+) s", up.stderr).group(1))
    print(f"\nup with a crash-looping triggerer: error {seconds} s after the components started "
          f"({total:.0f} s in all, the install included)")

    status = json.loads(airhost("status", "--config", str(root), "--output", "json").stdout)
    triggerer = next(c for c in status["components"] if c["component"] == "triggerer")
    assert triggerer["restarts"] >= 2
    assert triggerer["state"] == "CRASH_LOOP"
    scheduler = next(c for c in status["components"] if c["component"] == "scheduler")
    assert scheduler["state"] != "CRASH_LOOP"
    table = airhost("status", "--config", str(root)).stdout
    assert "CRASH_LOOP" in table
