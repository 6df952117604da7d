"""DAG shipping pieces: manifests, sync plans, import problems, waiting for Airflow."""

from __future__ import annotations

import datetime

import pytest

from airhost.dags.check import describe_error
from airhost.dags.destinations import FolderDestination
from airhost.dags.manifest import folder_manifest, plan_sync
from airhost.dags.push import BrokenDags, ParseWatcher, apply_sync, refuse_if_broken
from airhost.dags.check import CheckResult, ImportProblem
from airhost.errors import AirhostError


def test_manifest_skips_bytecode_and_plan_moves_only_changes(tmp_path):
    source = tmp_path / "dags"
    (source / "pkg" / "__pycache__").mkdir(parents=True)
    (source / "a.py").write_text("a = 1\n")
    (source / "pkg" / "b.py").write_text("b = 1\n")
    (source / "pkg" / "__pycache__" / "b.cpython-311.pyc").write_bytes(b"\0")
    manifest = folder_manifest(source)
    assert sorted(manifest) == ["a.py", "pkg/b.py"]
    plan = plan_sync(manifest, {"a.py": manifest["a.py"], "pkg/b.py": "old", "gone.py": "x"})
    assert plan.added == () and plan.changed == ("pkg/b.py",) and plan.deleted == ("gone.py",)
    assert plan.unchanged == 1


def test_folder_sync_uploads_changed_and_deletes_removed(tmp_path):
    source, target = tmp_path / "dags", tmp_path / "bundle"
    source.mkdir()
    (source / "a.py").write_text("a = 1\n")
    (source / "sub").mkdir()
    (source / "sub" / "b.py").write_text("b = 1\n")
    messages = []
    first = apply_sync(source, FolderDestination(target), messages.append)
    assert first.added == ("a.py", "sub/b.py")
    (source / "sub" / "b.py").unlink()
    (source / "a.py").write_text("a = 2\n")
    second = apply_sync(source, FolderDestination(target), messages.append)
    assert second.changed == ("a.py",) and second.deleted == ("sub/b.py",)
    assert (target / "a.py").read_text() == "a = 2\n"
    assert not (target / "sub").exists()  # emptied folders go too
    assert apply_sync(source, FolderDestination(target), messages.append).empty
    assert "already up to date" in messages[-1]


def test_import_error_names_file_and_line():
    trace = ('Traceback (most recent call last):\n  File "<frozen importlib._bootstrap>", line 241\n'
             '  File "/bundle/etl/load.py", line 12, in <module>\n    import missing\n'
             "ModuleNotFoundError: No module named 'missing'\n")
    problem = describe_error("etl/load.py", trace)
    assert str(problem) == "etl/load.py:12: ModuleNotFoundError: No module named 'missing'"


def test_broken_dags_are_refused_unless_forced():
    broken = CheckResult(dags={}, problems=(ImportProblem("x.py", 3, "SyntaxError: invalid syntax"),))
    with pytest.raises(BrokenDags, match="x.py:3: SyntaxError") as caught:
        refuse_if_broken(broken, force=False)
    assert caught.value.exit_code == 1 and "--force" in str(caught.value)
    refuse_if_broken(broken, force=True)


class FakeApi:
    """Airflow's DAG listing, advancing one step each time it is read."""

    def __init__(self, states):
        self.states = list(states)

    def get(self, path):
        current = self.states.pop(0) if len(self.states) > 1 else self.states[0]
        dags = [{"dag_id": k, **v} for k, v in current.items()]
        return {"dags": dags, "total_entries": len(dags)}


UPLOADED = datetime.datetime(2026, 1, 1, 12, 0, 0, tzinfo=datetime.timezone.utc)


def test_watcher_waits_for_a_parse_after_the_upload_and_the_removal_of_deleted_dags():
    before = {"a": {"relative_fileloc": "a.py", "last_parsed_time": "2026-01-01T11:59:00Z"},
              "gone": {"relative_fileloc": "gone.py", "last_parsed_time": "2026-01-01T11:59:00Z"}}
    # a parse that ends in the upload's own second may have read the old file: not enough
    same_second = {**before, "a": {"relative_fileloc": "a.py", "last_parsed_time": "2026-01-01T12:00:00.900Z"}}
    states = [same_second,
              {**before, "a": {"relative_fileloc": "a.py", "last_parsed_time": "2026-01-01T12:00:02Z"}},
              {"a": {"relative_fileloc": "a.py", "last_parsed_time": "2026-01-01T12:00:02Z"},
               "gone": {"relative_fileloc": "gone.py", "is_stale": True}},
              {"a": {"relative_fileloc": "a.py", "last_parsed_time": "2026-01-01T12:00:02Z"},
               "new": {"relative_fileloc": "n.py", "last_parsed_time": "2026-01-01T12:00:03Z"}}]
    clock = iter(range(100))
    api = FakeApi(states)
    watcher = ParseWatcher(api, clock=lambda: next(clock), sleep=lambda _: None)
    seconds, seen = watcher.wait(before, {"a", "new"}, {"gone.py"}, UPLOADED, 60)
    assert seen == {"a": "parsed", "new": "new", "gone": "removed"}
    assert seconds > 0


def test_watcher_gives_up_with_a_clear_message():
    before = {"a": {"relative_fileloc": "a.py", "last_parsed_time": "2026-01-01T11:00:00Z"}}
    clock = iter(range(0, 1000, 10))
    watcher = ParseWatcher(FakeApi([before]), clock=lambda: next(clock), sleep=lambda _: None)
    with pytest.raises(AirhostError, match="had not picked up a"):
        watcher.wait(before, {"a"}, set(), UPLOADED, 30)
