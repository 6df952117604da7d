"""The constraints an Airflow release installs with: the project's file, Airflow's, or as of release."""

from __future__ import annotations

import pytest

from airhost.install import constraints as module
from airhost.install.constraints import (IndexUnreachable, ReleaseConstraints, day_after,
                                         looks_unreachable, release_constraints, requirement_names)

PINS = "apache-airflow-providers-slack==9.1.0\npydantic==2.11.7\nPyJWT==2.10.1\nrequests==2.32.4\n"


def test_the_projects_requirements_win_over_the_release_pins_they_name():
    constraints = ReleaseConstraints("3.0.6", "3.11", "airflow", "url", PINS)
    layered = constraints.layered("# ours\napache_airflow_providers_Slack>=9.2\npyjwt[crypto] ; "
                                  "python_version>'3'\n-r more.txt\ngit+https://x/y.git\n")
    assert layered.splitlines() == ["pydantic==2.11.7", "requests==2.32.4"]


def test_requirement_names_skip_options_urls_and_comments():
    assert requirement_names("a==1\n  B.c>=2 # why\n--index-url x\n# d\nhttps://e/f.whl\n") == {"a", "b-c"}


def test_the_fallback_cut_off_is_the_day_after_the_upload():
    assert day_after("2025-08-29T15:56:17.359017Z") == "2025-08-30T15:56:17Z"


def test_the_release_file_is_taken_from_the_cache_and_said(tmp_path):
    (tmp_path / "airflow-3.0.6-python3.11.txt").write_text(PINS)
    said: list[str] = []
    found = release_constraints("3.0.6", "3.11", ["postgres"], cache=tmp_path, report=said.append)
    assert found.source == "airflow" and found.text == PINS
    assert said == ["constraints: Airflow 3.0.6's constraint file (https://raw.githubusercontent.com/"
                    "apache/airflow/constraints-3.0.6/constraints-3.11.txt)"]
    assert found.header().startswith("# constraints: Airflow 3.0.6's constraint file")


def test_without_the_release_file_or_the_index_it_says_so(tmp_path, monkeypatch):
    def unreachable(url, timeout):
        raise OSError("Name or service not known")

    monkeypatch.setattr(module, "_read_url", unreachable)
    with pytest.raises(IndexUnreachable, match="could not reach the package index"):
        release_constraints("3.0.6", "3.11", [], cache=tmp_path)


def test_uv_network_failures_are_told_apart_from_conflicts():
    assert looks_unreachable("error: Failed to fetch: `https://pypi.org/simple/x/`\n  dns error")
    assert not looks_unreachable("No solution found when resolving dependencies:\n  Because x==1 "
                                 "depends on y>2 and you require y<2, we can conclude ...")
