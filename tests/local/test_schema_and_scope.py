"""Knowing without Airflow: is the database's schema current, and which files must a push import."""

from __future__ import annotations

from airhost.dags.manifest import plan_sync
from airhost.dags.push import ParseWatcher
from airhost.dags.scope import files_to_check, imported_names
from airhost.local import schema


def script(revision, down):
    return f'"""a migration"""\nfrom alembic import op\n\nrevision = "{revision}"\ndown_revision = {down!r}\n'


def airflow_tree(venv, scripts, provider=None):
    package = venv / "lib" / "python3.11" / "site-packages" / "airflow"
    versions = package / ("providers/" + provider + "/migrations/versions" if provider else "migrations/versions")
    versions.mkdir(parents=True, exist_ok=True)
    for number, (revision, down) in enumerate(scripts):
        (versions / f"{number:04d}_step.py").write_text(script(revision, down))
    return package


def test_head_is_the_revision_no_script_builds_on_and_a_merge_counts_both_parents(tmp_path):
    airflow_tree(tmp_path, [("a1", None), ("b2", "a1"), ("c3", "a1"), ("d4", ("b2", "c3"))])
    assert schema.installed_heads(tmp_path) == {"alembic_version": "d4"}


def test_two_heads_or_an_unknown_provider_tree_mean_migrate(tmp_path):
    airflow_tree(tmp_path / "forked", [("a1", None), ("b2", "a1"), ("c3", "a1")])
    assert schema.installed_heads(tmp_path / "forked") is None
    airflow_tree(tmp_path / "other", [("a1", None)])
    airflow_tree(tmp_path / "other", [("x1", None)], provider="someone")
    assert schema.installed_heads(tmp_path / "other") is None
    airflow_tree(tmp_path / "fab", [("a1", None)])
    airflow_tree(tmp_path / "fab", [("f1", None), ("f2", "f1")], provider="fab")
    assert schema.installed_heads(tmp_path / "fab") == {"alembic_version": "a1",
                                                        "alembic_version_fab": "f2"}


def test_a_database_behind_or_without_a_version_table_is_pending():
    heads = {"alembic_version": "d4", "alembic_version_fab": "f2"}
    assert schema.pending_tables(heads, schema.parse_revisions("alembic_version|d4\nalembic_version_fab|f2")) == []
    assert schema.pending_tables(heads, schema.parse_revisions("alembic_version|c3\nalembic_version_fab|f2")) \
        == ["alembic_version"]
    assert schema.pending_tables(heads, schema.parse_revisions("alembic_version|d4")) == ["alembic_version_fab"]
    # two rows in one version table is no revision at all
    assert schema.pending_tables({"alembic_version": "d4"},
                                 schema.parse_revisions("alembic_version|d4\nalembic_version|c3")) \
        == ["alembic_version"]


def folder(tmp_path, files):
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


DAG = "from airflow.sdk import dag\n"


def test_a_changed_dag_file_nobody_imports_is_checked_alone(tmp_path):
    source = folder(tmp_path, {"a.py": DAG, "b.py": DAG, **{f"other_{n}.py": DAG for n in range(100)}})
    plan = plan_sync({"a.py": "new", "b.py": "same", "n.py": "x"}, {"a.py": "old", "b.py": "same"})
    (source / "n.py").write_text(DAG)
    assert files_to_check(source, plan) == ["a.py", "n.py"]


def test_a_change_others_can_feel_checks_the_whole_folder(tmp_path):
    source = folder(tmp_path, {"a.py": DAG + "from common.util import x\n", "common/util.py": "x = 1\n",
                               "b.py": DAG, "conf.yaml": "k: v\n"})
    helper = plan_sync({"common/util.py": "new"}, {"common/util.py": "old"})
    assert files_to_check(source, helper) is None  # a.py imports it
    data = plan_sync({"conf.yaml": "new"}, {"conf.yaml": "old"})
    assert files_to_check(source, data) is None  # a DAG may read it while parsing
    removed = plan_sync({"a.py": "same"}, {"a.py": "same", "b.py": "gone"})
    assert files_to_check(source, removed) is None
    package = plan_sync({"common/__init__.py": "new"}, {})
    (source / "common" / "__init__.py").write_text("")
    assert files_to_check(source, package) is None  # importing common.util runs it
    assert files_to_check(source, plan_sync({}, {})) is None  # nothing to ship: check as before


def test_import_statements_name_every_dotted_part():
    assert imported_names("import os, json as j\nfrom pkg.mod import thing\n  import a.b\nfrom . import util\n") \
        >= {"os", "json", "pkg", "mod", "a", "b", "util"}


class RecordingApi:
    def __init__(self):
        self.put_paths = []

    def put(self, path):
        self.put_paths.append(path)


def test_a_new_file_is_found_by_asking_for_a_known_file_of_its_bundle():
    before = {"a": {"dag_id": "a", "relative_fileloc": "a.py", "file_token": "ta", "bundle_name": "dags"},
              "b": {"dag_id": "b", "relative_fileloc": "b.py", "file_token": "tb", "bundle_name": "dags"}}
    api = RecordingApi()
    ParseWatcher(api).request_reparse(before, set(), refresh_for_new=True)
    assert api.put_paths == ["/api/v2/parseDagFile/ta"]  # one request refreshes the bundle
    api = RecordingApi()
    ParseWatcher(api).request_reparse(before, {"b.py"}, refresh_for_new=True)
    assert api.put_paths == ["/api/v2/parseDagFile/tb"]  # the changed file's request refreshes it too
