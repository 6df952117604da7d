"""Day-two commands: ``upgrade`` Airflow, ``backup`` / ``backups`` / ``restore`` the metadata database.

On ECS a backup is an RDS snapshot and a restore creates a new instance from one; on the local
target they are pg_dump files under ``.airhost/<env>/backups/``. Changes to a non-local environment
are confirmed unless ``--yes``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from airhost.cli.deploy import yes_option
from airhost.cli.output import config_option, emit, output_option, project_from
from airhost.cli.terminal import TerminalProgress, err, out
from airhost.config.models import Environment
from airhost.errors import UsageError


def _environment(config_path: Path, name: str, capability: str = "backup") -> tuple[Environment, Any]:
    project = project_from(config_path)
    env = project.environment(name)
    from airhost.targets import require

    require(env, capability)
    return env, project


def _local(project: Any, env: Environment):
    from airhost.local.backup import LocalBackups
    from airhost.local.environment import LocalEnvironment

    return LocalBackups(LocalEnvironment(project, env))


def _aws(env: Environment, project: Any = None):
    """The deployed environment, opened with its project (EC2 builds its wheelhouse from it)."""
    from airhost.targets import target_of

    return target_of(env).open(project, env)


def _needs_terminal(yes: bool, what: str) -> None:
    if not yes and not sys.stdin.isatty():
        raise UsageError(f"{what} needs confirmation: not running in a terminal",
                         hint="pass --yes to confirm in scripts")


def _size(row: dict) -> str:
    if row.get("size_gb") is not None:
        return f"{row['size_gb']} GB"
    size = float(row.get("size_bytes") or 0)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return ""


def _age(hours: float | None) -> str:
    if hours is None:
        return "-"
    return f"{hours * 60:.0f} min" if hours < 1 else (f"{hours:.1f} h" if hours < 48
                                                       else f"{hours / 24:.0f} days")


@click.command()
@click.argument("environment")
@config_option
@output_option
@click.option("--label", help="A word for the backup's name, e.g. before-cleanup.")
def backup(environment: str, config_path: Path, output: str, label: str | None) -> None:
    """Back up ENVIRONMENT's metadata database (RDS snapshot, or pg_dump locally).

    The oldest backups beyond database.keep_backups (default 10) are deleted afterwards.
    """
    env, project = _environment(config_path, environment)
    if env.is_local:
        result = _local(project, env).create(lambda line: err(line), label=label)
    else:
        from airhost.ops.backup import take_backup

        result = take_backup(_aws(env, project), TerminalProgress(), label=label)

    def table(data: dict) -> None:
        where = data.get("path") or f"instance {data['instance']}"
        out(f"backup {data.get('snapshot') or data.get('backup')} ({where})")
        for name in data["pruned"]:
            out(f"  deleted old backup {name}")

    emit(result, output, table)


@click.command()
@click.argument("environment")
@config_option
@output_option
def backups(environment: str, config_path: Path, output: str) -> None:
    """List ENVIRONMENT's backups, newest first, with age and size."""
    env, project = _environment(config_path, environment)
    if env.is_local:
        rows = _local(project, env).list()
    else:
        from airhost.ops.backup import list_backups

        rows = list_backups(_aws(env, project))

    def table(data: list) -> None:
        if not data:
            out(f"no backups of {env.name} yet: 'airhost backup {env.name}' takes one")
            return
        from rich.table import Table

        grid = Table("backup", "kind", "age", "size", "status", box=None, pad_edge=False)
        for row in data:
            name = row.get("snapshot") or row["backup"]
            kind = row.get("kind", "dump") + (" (in use)" if row.get("in_use") else "")
            grid.add_row(name, kind, _age(row.get("age_hours")), _size(row),
                         row.get("status", "available"))
        out(grid)

    emit(rows, output, table)


@click.command()
@click.argument("environment")
@click.argument("snapshot", required=False)
@config_option
@output_option
@yes_option
@click.option("--cleanup", is_flag=True,
              help="Delete the databases earlier restores replaced (after a final snapshot).")
def restore(environment: str, snapshot: str | None, config_path: Path, output: str, yes: bool,
            cleanup: bool) -> None:
    """Restore ENVIRONMENT's database from SNAPSHOT (a backup's name).

    \b
    On AWS (ECS, EC2) a new database instance is created from the snapshot and the environment switched to it;
    the replaced instance is kept until `restore ENVIRONMENT --cleanup`. Locally the dump is loaded
    into the database. Airflow is stopped meanwhile and migrated and started after.
    """
    env, project = _environment(config_path, environment)
    if not snapshot and not cleanup:
        raise UsageError("restore needs a SNAPSHOT (or --cleanup)",
                         hint=f"'airhost backups {environment}' lists them")
    if env.is_local:
        if cleanup:
            raise UsageError("--cleanup is for cloud environments: a local restore replaces no "
                             "instance")
        result: dict = _local(project, env).restore(snapshot or "", lambda line: err(line))
        emit(result, output, lambda data: out(
            f"restored {data['restored']} into {env.name}; the database as it was is backup "
            f"{data['safety_backup']}; Airflow is healthy at {data['url']}"))
        return
    _restore_cloud(env, snapshot, output, yes, cleanup)


def _restore_cloud(env: Environment, snapshot: str | None, output: str, yes: bool,
                 cleanup: bool) -> None:
    from airhost.ops import backup as backups_

    _needs_terminal(yes, f"restoring {env.name}")
    aws = _aws(env)
    progress = TerminalProgress(yes=yes)
    result: dict[str, Any] = {}
    if snapshot:
        result = backups_.restore_database(aws, snapshot, progress, confirm=not yes)
    if cleanup:
        retired = backups_.retired_databases(aws)
        if retired and not progress.confirm(
                "delete " + ", ".join(e["instance"] for e in retired) + " after a final snapshot?"):
            raise UsageError("not cleaning up: declined")
        result["cleaned_up"] = backups_.cleanup_retired(aws, progress)
    result["retired"] = backups_.retired_databases(aws)

    def table(data: dict) -> None:
        if data.get("snapshot"):
            out(f"restored {data['snapshot']} into {data['instance']}")
        for entry in data.get("cleaned_up", []):
            out(f"deleted {entry['instance']} (final snapshot {entry['final_snapshot']})")
        for entry in data["retired"]:
            out(f"previous database {entry['instance']} kept: delete it with "
                f"'airhost restore {env.name} --cleanup'")

    emit(result, output, table)


@click.command()
@click.argument("environment")
@config_option
@output_option
@yes_option
@click.option("--airflow-version", "version", help="Target Airflow version (default: airhost.yaml's).")
@click.option("--image", help="The new image, when the environment runs the project's own (ecr).")
@click.option("--dry-run", is_flag=True, help="Say what would happen; change nothing.")
@click.option("--auto-restore", is_flag=True,
              help="On a failure after the migration, restore the pre-upgrade snapshot without asking.")
def upgrade(environment: str, config_path: Path, output: str, yes: bool, version: str | None,
            image: str | None, dry_run: bool, auto_restore: bool) -> None:
    """Upgrade ENVIRONMENT's Airflow: snapshot, stop, migrate with the new image, start, check.

    On failure the previous release comes back and, once the migration has run, the pre-upgrade
    snapshot is restored (asked, or --auto-restore). A version change in airhost.yaml followed by
    `deploy` takes the same path.
    """
    from airhost.deploy.upgrade import describe_upgrade, upgrade_environment

    env, project = _environment(config_path, environment, "upgrade")
    if version:
        from airhost.config.support import parse_airflow_version

        try:
            parse_airflow_version(version)
        except ValueError as error:
            raise UsageError(str(error)) from None
        env = env.model_copy(update={"airflow": env.airflow.model_copy(update={"version": version})})
    aws = _aws(env, project)
    if dry_run:
        emit(describe_upgrade(env, aws, image=image, root=project.root).to_json(), output,
             _print_plan)
        return
    _needs_terminal(yes, f"upgrading {environment}")
    summary = upgrade_environment(env, project.config_hash, TerminalProgress(yes=yes),
                                  deployment=aws, confirm=not yes, image=image,
                                  auto_restore=auto_restore, root=project.root).to_json()

    def table(data: dict) -> None:
        up = data["upgrade"]
        out(f"upgraded {env.project}-{env.name} from Airflow {up['from']} to {up['to']} "
            f"(pre-upgrade snapshot {up['snapshot']})")
        for component in data["components"]:
            out(f"  {component['component']}: {component['running']}/{component['desired']} "
                "running")
        if version and version != project.environment(environment).airflow.version:
            out(f"set airflow.version: \"{version}\" in airhost.yaml: a deploy with the old version "
                "would be refused as a downgrade")

    emit(summary, output, table)


def _print_plan(plan: dict) -> None:
    if not plan["upgrade"]:
        out(plan["notes"][0] + ": nothing to upgrade")
        return
    out(f"upgrade {plan['environment']}: Airflow {plan['from']} → {plan['to']} "
        f"(image {plan['image']['from']} → {plan['image']['to']})")
    for note in plan["notes"]:
        out(f"  note: {note}")
    for number, step in enumerate(plan["steps"], 1):
        out(f"  {number}. {step}")
    out("dry run: nothing was changed")


COMMANDS = [upgrade, backup, backups, restore]
