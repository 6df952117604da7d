"""Backups of a cloud environment's metadata database: RDS snapshots, and restoring one.

A backup is a manual RDS snapshot tagged with the project, the environment and its kind
(``backup`` from ``airhost backup``, ``pre-upgrade`` before an upgrade). RDS copies the instance's
tags to every snapshot, so snapshots made outside airhost are listed too (kind ``other``), as are
destroy's final snapshots (``final``). After each backup the oldest ``backup`` and ``pre-upgrade``
snapshots beyond ``database.keep_backups`` are deleted; never a final snapshot, never one made
outside airhost, never the snapshot the database was restored from.

A restore goes the CloudFormation way (see ``airhost.render.data``): every service is scaled to
0 so nothing writes to either database, the data stack is updated with ``DatabaseSnapshot`` set —
CloudFormation creates a new instance from the snapshot and points the database URL secret at it,
and the target refreshes what it copied of that secret (EKS: its Kubernetes secrets) — then
``airflow db migrate`` runs (a snapshot from an older release is brought to the running one), and
the services start again at the counts they had, reading the new URL. The replaced instance is
kept, recorded in SSM, until ``cleanup_retired`` deletes it after a final snapshot.
"""

from __future__ import annotations

import re
from typing import Any

from airhost.aws.errors import AwsApiError
from airhost.aws.rds import Snapshot
from airhost.errors import Aborted, AirhostError, UsageError
from airhost.ops.bootstrap import bootstrap
from airhost.progress import Progress
from airhost.render.common import stack_tags
from airhost.render.stacks import StackTemplate
from airhost.stacks.apply import deploy_stack
from airhost.targets.cloud import CloudEnvironment

SNAPSHOT_TIMEOUT = 3600.0
RETIRED = "retired-databases"
KIND, LABEL = "airhost:kind", "airhost:label"
PRUNED_KINDS = ("backup", "pre-upgrade")
LABEL_PATTERN = re.compile(r"^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$")


def check_label(label: str | None) -> str | None:
    if label is not None and (not LABEL_PATTERN.match(label) or "--" in label):
        raise UsageError(f"'{label}' cannot be part of a snapshot name",
                         hint="use up to 40 lowercase letters, digits and single hyphens")
    return label


def take_backup(aws: CloudEnvironment, progress: Progress, *, kind: str = "backup",
                label: str | None = None, note: str | None = None) -> dict[str, Any]:
    """Snapshot the database, wait until it is available, prune old backups; the new backup."""
    env = aws.env
    check_label(label)
    instance = _current_instance(aws)
    stamp = aws.clock.utcnow().strftime("%Y%m%d-%H%M%S")
    snapshot_id = f"{env.project}-{env.name}-{kind}-{stamp}" + (f"-{label}" if label else "")
    tags = {"airhost:project": env.project, "airhost:environment": env.name, KIND: kind}
    if label or note:
        tags[LABEL] = label or note or ""
    progress.step(f"snapshotting database {instance}: {snapshot_id}")
    aws.rds.create_snapshot(instance, snapshot_id, tags)
    aws.rds.wait_snapshot(snapshot_id, timeout=SNAPSHOT_TIMEOUT)
    pruned = prune_backups(aws, progress, keep_also=snapshot_id)
    found = aws.rds.snapshot(snapshot_id)
    return {"environment": env.name, "snapshot": snapshot_id, "instance": instance,
            "kind": kind, "label": label, "size_gb": found.size_gb if found else None,
            "pruned": pruned}


def list_backups(aws: CloudEnvironment) -> list[dict[str, Any]]:
    """The environment's snapshots, newest first, with their age in hours."""
    now = aws.clock.utcnow()
    restored_from = _restored_from(aws)
    rows = []
    for snapshot in sorted(_own_snapshots(aws), key=_created, reverse=True):
        age = (now - snapshot.created).total_seconds() / 3600 if snapshot.created else None
        rows.append({"snapshot": snapshot.snapshot_id, "kind": _kind(snapshot),
                     "label": snapshot.tags.get(LABEL), "status": snapshot.status,
                     "created": snapshot.created.isoformat(timespec="seconds")
                     if snapshot.created else None,
                     "age_hours": round(age, 1) if age is not None else None,
                     "size_gb": snapshot.size_gb, "instance": snapshot.instance_id,
                     "engine_version": snapshot.engine_version,
                     "in_use": snapshot.snapshot_id == restored_from})
    return rows


def prune_backups(aws: CloudEnvironment, progress: Progress, *, keep_also: str = "") -> list[str]:
    """Delete the oldest backups beyond ``database.keep_backups``; the ids deleted."""
    keep = aws.env.database.keep_backups
    protected = {keep_also, _restored_from(aws)}
    candidates = sorted((s for s in _own_snapshots(aws) if _kind(s) in PRUNED_KINDS),
                        key=_created, reverse=True)
    deleted = []
    for snapshot in candidates[keep:]:
        if snapshot.snapshot_id in protected:
            continue
        progress.detail(f"deleting backup {snapshot.snapshot_id} (database.keep_backups: {keep})")
        aws.rds.delete_snapshot(snapshot.snapshot_id)
        deleted.append(snapshot.snapshot_id)
    return deleted


def check_restorable(aws: CloudEnvironment, snapshot_id: str, progress: Progress) -> Snapshot:
    snapshot = aws.rds.snapshot(snapshot_id)
    env = aws.env
    if snapshot is None:
        raise UsageError(f"snapshot {snapshot_id} does not exist in {aws.session.region}",
                         hint=f"list the environment's backups with 'airhost backups {env.name}'")
    if snapshot.status != "available":
        raise UsageError(f"snapshot {snapshot_id} is {snapshot.status}, not available",
                         hint="wait until RDS has finished it, then restore again")
    owner = (snapshot.tags.get("airhost:project"), snapshot.tags.get("airhost:environment"))
    if all(owner) and owner != (env.project, env.name):
        raise UsageError(
            f"snapshot {snapshot_id} is a backup of {owner[0]}-{owner[1]}, not {env.project}-{env.name}: "
            "its connections and variables are encrypted with that environment's Fernet key",
            hint="restore it into the environment it was taken from")
    if not all(owner):
        progress.warn(f"snapshot {snapshot_id} was not taken from this environment: connections "
                      "encrypted with another Fernet key will not be readable")
    return snapshot


def restore_database(aws: CloudEnvironment, snapshot_id: str, progress: Progress, *,
                     confirm: bool = True) -> dict[str, Any]:
    """Stop the services, switch the database to a new instance from the snapshot, migrate,
    start the services again; what was done."""
    check_restorable(aws, snapshot_id, progress)
    counts = {state.component: state.desired or 0 for state in aws.components()}
    if confirm and not progress.confirm(
            f"restore {aws.env.name} from {snapshot_id}? Airflow stops until the new database is up"):
        raise Aborted("not restoring: declined", hint="nothing was changed")
    progress.step("stopping every component: nothing may write to the database during the switch")
    aws.hold(progress)
    try:
        switched = switch_database(aws, snapshot_id, progress)
    except AirhostError:
        progress.step("the switch failed: starting the components again on the previous database")
        aws.scale(counts, progress, wait=True)
        aws.resume_scaling(progress)
        raise
    steps = bootstrap(aws, progress)
    progress.step("starting the components again")
    components = aws.scale(counts, progress, wait=True)
    aws.resume_scaling(progress)
    return {**switched, "bootstrap": steps,
            "components": [component.to_json() for component in components]}


def switch_database(aws: CloudEnvironment, snapshot_id: str, progress: Progress) -> dict[str, Any]:
    """Update the deployed data stack with ``DatabaseSnapshot``; the old and the new instance."""
    cfn = aws.cloudformation
    name = aws.stack_name("data")
    existing = cfn.require(name)
    template = cfn.template(name)
    if "DatabaseSnapshot" not in template.get("Parameters", {}):
        raise UsageError(f"stack {name} was deployed by an airhost that could not restore",
                         hint=f"run 'airhost deploy {aws.env.name}' once, then restore")
    previous = existing.outputs.get("DatabaseInstanceId", "")
    stack = StackTemplate(layer="data", name=name, template=template, termination_protection=True,
                          tags=stack_tags(aws.env, "data"))
    parameters = {**existing.parameters, "DatabaseSnapshot": snapshot_id}
    progress.step(f"creating a new database from {snapshot_id} (CloudFormation replaces the instance)")
    result = deploy_stack(aws.cloudformation, stack, parameters, progress, confirm=False)
    current = result.outputs.get("DatabaseInstanceId", "")
    if previous and previous != current:
        _retire(aws, previous, snapshot_id)
    aws.refresh()
    aws.database_switched(progress)
    return {"environment": aws.env.name, "snapshot": snapshot_id, "previous_instance": previous,
            "instance": current}


def retired_databases(aws: CloudEnvironment) -> list[dict[str, str]]:
    record = aws.parameters.get_json(aws.parameter_name(RETIRED)) or {}
    return list(record.get("instances", []))


def cleanup_retired(aws: CloudEnvironment, progress: Progress) -> list[dict[str, str]]:
    """Delete the instances earlier restores replaced, each after a final snapshot."""
    removed, kept = [], []
    stamp = aws.clock.utcnow().strftime("%Y%m%d-%H%M%S")
    for entry in retired_databases(aws):
        instance = entry["instance"]
        if aws.rds.describe(instance) is None:
            progress.detail(f"{instance} no longer exists")
            continue
        snapshot = f"{aws.env.project}-{aws.env.name}-retired-{stamp}-{len(removed) + 1}"
        progress.step(f"deleting replaced database {instance} (final snapshot {snapshot})")
        try:
            aws.rds.set_deletion_protection(instance, False)
            aws.rds.delete_instance(instance, snapshot)
        except AwsApiError as error:
            progress.warn(f"{instance} was not deleted: {error}")
            kept.append(entry)
            continue
        removed.append({"instance": instance, "final_snapshot": snapshot})
    _write_retired(aws, kept)
    return removed


def _retire(aws: CloudEnvironment, instance: str, snapshot_id: str) -> None:
    entries = [e for e in retired_databases(aws) if e["instance"] != instance]
    entries.append({"instance": instance, "replaced_by_restore_of": snapshot_id,
                    "retired_at": aws.clock.utcnow().isoformat(timespec="seconds")})
    _write_retired(aws, entries)


def _write_retired(aws: CloudEnvironment, entries: list[dict[str, str]]) -> None:
    if entries:
        aws.parameters.put_json(aws.parameter_name(RETIRED), {"instances": entries},
                                description="databases replaced by a restore, kept until cleanup")
    else:
        aws.parameters.delete(aws.parameter_name(RETIRED))


def _current_instance(aws: CloudEnvironment) -> str:
    data = aws.cloudformation.require(aws.stack_name("data"))
    instance = data.outputs.get("DatabaseInstanceId")
    if not instance:
        raise UsageError(f"stack {data.name} has no database", hint="deploy the environment first")
    return instance


def _restored_from(aws: CloudEnvironment) -> str:
    data = aws.cloudformation.describe(aws.stack_name("data"))
    return data.parameters.get("DatabaseSnapshot", "") if data else ""


def _own_snapshots(aws: CloudEnvironment) -> list[Snapshot]:
    env = aws.env
    return [s for s in aws.rds.manual_snapshots()
            if s.tags.get("airhost:project") == env.project
            and s.tags.get("airhost:environment") == env.name]


def _kind(snapshot: Snapshot) -> str:
    if KIND in snapshot.tags:
        return snapshot.tags[KIND]
    return "final" if "destroy" in snapshot.tags.get("airhost:reason", "") else "other"


def _created(snapshot: Snapshot) -> str:
    return snapshot.created.isoformat() if snapshot.created else ""
