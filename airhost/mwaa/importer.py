"""``airhost import mwaa``: read an MWAA environment and its bucket, write an airhost project.

Order: check the target folder (absent, or empty) → GetEnvironment → the VPC of its subnets →
translate → fetch the DAG folder, requirements.txt and plugins.zip at the versions MWAA uses, and
the startup script (kept aside, never run) into a hidden staging folder beside the target → for an
Airflow 2 environment, ruff's AIR3 rules over DAGs and plugins → airhost.yaml, MIGRATION.md and
migration.json → validate the project as ``airhost validate`` would → move it into place. Any error
removes the staging folder: a failed import leaves nothing behind.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import tempfile
import zipfile
from pathlib import Path, PurePosixPath
from typing import Callable

import yaml

from airhost.aws.errors import AwsError
from airhost.aws.iam import RolePolicies, role_policies
from airhost.aws.mwaa import MwaaEnvironments, subnets_vpc
from airhost.aws.s3 import Buckets
from airhost.aws.session import AwsSession
from airhost.config import load_project
from airhost.errors import AirhostError, ConfigError, UsageError
from airhost.mwaa.airflow3 import check_airflow3
from airhost.mwaa.report import REPORT_FILE, REPORT_JSON, MigrationReport, to_markdown
from airhost.mwaa.requirements import adapt_requirements
from airhost.mwaa.translate import ROLE_FOLDER, ExecutionRole, ReportRow, Translation, translate

STARTUP_FOLDER = "mwaa-startup"
HEADER = ("# Imported from Amazon MWAA environment {name} ({region}) by airhost import mwaa.\n"
          "# What each MWAA setting became, and what is left to do by hand: MIGRATION.md\n")


class UnsafeArchive(AirhostError):
    """An archive or key would write outside the folder it belongs in."""

    exit_code = 2


def check_target(directory: Path) -> None:
    """The project folder must not exist yet, or be empty; its parent must exist."""
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise UsageError(f"cannot import into {directory}: it exists and is not empty",
                         hint="name a new folder (import mwaa NAME DIRECTORY) or empty this one")
    if not directory.parent.is_dir():
        raise UsageError(f"cannot import into {directory}: its parent folder {directory.parent} does "
                         "not exist", hint="create it first, or name another folder")


def safe_relative(name: str, what: str) -> PurePosixPath:
    """``name`` as a path that stays inside its folder, or an UnsafeArchive error."""
    path = PurePosixPath(name)
    if (name.startswith(("/", "\\")) or "\\" in name or ".." in path.parts
            or (path.parts and path.parts[0].endswith(":"))):
        raise UnsafeArchive(f"{what} holds '{name}', which would land outside its folder",
                            hint="remove that entry from the source, then import again")
    return path


def unpack_plugins(data: bytes, folder: Path) -> int:
    """Unpack plugins.zip into ``folder``; refuses any entry that would escape it, and symlinks."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as error:
        raise UnsafeArchive(f"plugins.zip is not a zip archive: {error}",
                            hint="check PluginsS3Path in the MWAA environment") from error
    with archive:
        entries = archive.infolist()
        for entry in entries:
            safe_relative(entry.filename, "plugins.zip")
            if (entry.external_attr >> 16) & 0o170000 == 0o120000:
                raise UnsafeArchive(f"plugins.zip holds a symbolic link, '{entry.filename}'",
                                    hint="replace it with the file it points to, then import again")
        count = 0
        for entry in entries:
            target = folder / entry.filename
            if entry.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(archive.read(entry))
            count += 1
    return count


def _fetch(buckets: Buckets, translation: Translation, root: Path, rows: list[ReportRow],
           progress: Callable[[str], None]) -> dict[str, int]:
    sources = translation.sources
    files: dict[str, int] = {}
    progress(f"copying s3://{sources.bucket}/{sources.dags_prefix}/ into dags/")
    dags = root / "dags"
    dags.mkdir()
    base = f"{sources.dags_prefix}/" if sources.dags_prefix else ""
    keys = list(buckets.keys(sources.bucket, sources.dags_prefix))
    for key in keys:
        relative = safe_relative(key[len(base):], f"s3://{sources.bucket}/{base}")
        target = dags / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(buckets.read(sources.bucket, key))
    files["dags"] = len(keys)
    requirements = "# no requirements.txt in the MWAA environment\n"
    if sources.requirements:
        progress(f"reading requirements.txt at version {sources.requirements.version or 'latest'}")
        text = buckets.read(sources.bucket, sources.requirements.key, sources.requirements.version)
        requirements, notes = adapt_requirements(text.decode("utf-8", "replace"), translation.airflow_version)
        rows.extend(ReportRow(f"requirements.txt line {number}", line, "commented out", "changed",
                              f"it is for Airflow {version}: airhost installs Airflow "
                              f"{translation.airflow_version} with that release's constraints")
                    for number, line, version in notes)
    (root / "requirements.txt").write_text(requirements, encoding="utf-8")
    plugins = root / "plugins"
    plugins.mkdir()
    if sources.plugins:
        progress(f"unpacking plugins.zip at version {sources.plugins.version or 'latest'} into plugins/")
        data = buckets.read(sources.bucket, sources.plugins.key, sources.plugins.version)
        files["plugins"] = unpack_plugins(data, plugins)
    if sources.startup_script:
        script = sources.startup_script
        progress("downloading the startup script into mwaa-startup/ (not run)")
        folder = root / STARTUP_FOLDER
        folder.mkdir()
        target = folder / PurePosixPath(script.key).name
        target.write_bytes(buckets.read(sources.bucket, script.key, script.version))
        target.chmod(0o644)
        files["startup script"] = 1
    return files


def _write_project(root: Path, translation: Translation, name: str, region: str) -> None:
    text = yaml.safe_dump(translation.project, sort_keys=False, default_flow_style=False)
    (root / "airhost.yaml").write_text(HEADER.format(name=name, region=region) + text, encoding="utf-8")
    (root / ".gitignore").write_text(".airhost/\n", encoding="utf-8")


def _execution_role(session: AwsSession, arn: str | None) -> tuple[RolePolicies | None,
                                                                   ExecutionRole | None]:
    """The execution role's policies; a role that cannot be read is said so, not fatal."""
    if not arn:
        return None, None
    try:
        policies = role_policies(session, arn)
    except AwsError as error:
        return None, ExecutionRole([], [], unreadable=error.message)
    return policies, ExecutionRole(policies.managed, sorted(policies.inline))


def import_mwaa(session: AwsSession, name: str, directory: Path,
                progress: Callable[[str], None] = lambda message: None) -> MigrationReport:
    """Write the airhost project of MWAA environment ``name`` into ``directory``; its report."""
    directory = directory.absolute()
    check_target(directory)
    progress(f"reading MWAA environment {name} in {session.region}")
    environment = MwaaEnvironments(session).get(name)
    subnets = list((environment.get("NetworkConfiguration") or {}).get("SubnetIds") or [])
    if not subnets:
        raise AirhostError(f"MWAA environment '{name}' names no subnets: its network configuration is "
                           "empty", hint="check it with 'aws mwaa get-environment --name " + name + "'")
    vpc_id = subnets_vpc(session, subnets)
    policies, role = _execution_role(session, environment.get("ExecutionRoleArn"))
    translation = translate(environment, region=session.region, vpc_id=vpc_id, execution_role=role)
    rows = list(translation.rows)
    staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}.import-", dir=directory.parent))
    try:
        files = _fetch(Buckets(session), translation, staging, rows, progress)
        _write_project(staging, translation, name, session.region)
        if policies and policies.inline:
            folder = staging / ROLE_FOLDER
            folder.mkdir()
            for policy, document in policies.inline.items():
                (folder / f"{policy}.json").write_text(json.dumps(document, indent=2) + "\n",
                                                       encoding="utf-8")
        findings = []
        if translation.from_airflow2:
            progress("checking DAGs and plugins with ruff's Airflow 3 rules (AIR3)")
            findings = check_airflow3(staging, ["dags", "plugins"])
        report = MigrationReport(name, session.region, translation.project["project"], str(directory),
                                 translation.source_version, translation.airflow_version, rows, findings,
                                 files)
        (staging / REPORT_FILE).write_text(to_markdown(report), encoding="utf-8")
        (staging / REPORT_JSON).write_text(json.dumps(report.to_json(), indent=2) + "\n", encoding="utf-8")
        try:
            load_project(staging)
        except ConfigError as error:
            raise AirhostError(f"the imported project does not validate: {error}",
                               hint="report this with the MWAA environment's settings") from error
        _move_into_place(staging, directory)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return report


def _move_into_place(staging: Path, directory: Path) -> None:
    umask = os.umask(0)
    os.umask(umask)
    staging.chmod(0o777 & ~umask)  # mkdtemp's folder is private; the project is an ordinary folder
    if directory.is_dir():  # an empty folder the user made: fill it
        for item in staging.iterdir():
            os.replace(item, directory / item.name)
        staging.rmdir()
    else:
        os.replace(staging, directory)
