"""``destroy``: remove an environment's stacks, newest layer first, keeping what cannot come back.

Before anything is deleted the target removes what lives outside the stacks (EKS: the Helm
release and its namespace), then a final database snapshot is taken and waited for (its id is the way
back: restore from it). The data stack's termination protection and the database's deletion
protection are lifted only then. The log and DAG buckets are retained by their stack and kept unless
``delete_data``; the release and parking records in SSM go with the environment.
"""

from __future__ import annotations

from typing import Any

from airhost.aws.cloudformation import Stack, raise_if_failed
from airhost.aws.errors import NotDeployed
from airhost.ops.release import RELEASE
from airhost.progress import Progress
from airhost.targets.cloud import PARKED, CloudEnvironment

DELETE_TIMEOUT = 3600.0
SNAPSHOT_TIMEOUT = 3600.0


def describe_destruction(aws: CloudEnvironment, *, delete_data: bool) -> dict[str, Any]:
    """What ``destroy`` would delete and keep; NotDeployed when there is nothing."""
    stacks = {layer: stack for layer, stack in aws.stacks().items() if stack is not None}
    if not stacks:
        raise NotDeployed(f"environment {aws.env.name} has no stacks in {aws.session.region}",
                          hint="nothing to destroy (check the region and AWS_PROFILE)")
    data = stacks["data"].outputs if "data" in stacks else {}
    buckets = [data[key] for key in ("LogsBucket", "DagsBucket") if data.get(key)]
    return {
        "environment": aws.env.name, "region": aws.session.region,
        "stacks": [stacks[layer].name for layer in reversed(aws.layers) if layer in stacks],
        "database": data.get("DatabaseInstanceId"),
        "buckets_deleted" if delete_data else "buckets_kept": buckets,
    }


def destroy_environment(aws: CloudEnvironment, progress: Progress, *,
                        delete_data: bool = False) -> dict[str, Any]:
    """Snapshot the database, delete the stacks in reverse order; what was done."""
    plan = describe_destruction(aws, delete_data=delete_data)
    stacks = {layer: stack for layer, stack in aws.stacks().items() if stack is not None}
    aws.uninstall(progress)
    snapshot = _final_snapshot(aws, plan["database"], progress)
    deleted = []
    for layer in reversed(aws.layers):
        if layer in stacks:
            _delete_stack(aws, stacks[layer], progress)
            deleted.append(stacks[layer].name)
    removed = {}
    if delete_data:
        for bucket in plan.get("buckets_deleted", []):
            progress.step(f"deleting bucket {bucket} and everything in it")
            removed[bucket] = aws.buckets.delete(bucket)
    for record in (RELEASE, PARKED):
        aws.parameters.delete(aws.parameter_name(record))
    return {"environment": aws.env.name, "region": aws.session.region, "deleted_stacks": deleted,
            "snapshot": snapshot, "buckets_kept": plan.get("buckets_kept", []),
            "buckets_deleted": removed}


def _final_snapshot(aws: CloudEnvironment, instance_id: str | None, progress: Progress) -> str | None:
    if not instance_id:
        return None
    database = aws.rds.describe(instance_id)
    if database is None:
        progress.warn(f"database {instance_id} does not exist: no final snapshot taken")
        return None
    stamp = aws.clock.utcnow().strftime("%Y%m%d-%H%M%S")
    snapshot = f"{aws.env.project}-{aws.env.name}-final-{stamp}"
    progress.step(f"taking a final snapshot of database {instance_id}: {snapshot}")
    aws.rds.create_snapshot(instance_id, snapshot, {
        "airhost:project": aws.env.project, "airhost:environment": aws.env.name,
        "airhost:reason": "final snapshot before destroy"})
    aws.rds.wait_snapshot(snapshot, timeout=SNAPSHOT_TIMEOUT)
    if database.deletion_protection:
        progress.detail(f"lifting deletion protection of {instance_id}")
        aws.rds.set_deletion_protection(instance_id, False)
    return snapshot


def _delete_stack(aws: CloudEnvironment, stack: Stack, progress: Progress) -> None:
    cfn = aws.cloudformation
    if stack.termination_protection:
        progress.detail(f"lifting termination protection of {stack.name}")
        cfn.set_termination_protection(stack.name, False)
    progress.step(f"deleting stack {stack.name}")
    after = cfn.latest_event_id(stack.name)
    cfn.delete_stack(stack.name)
    final, events = cfn.watch(stack.name, after_event=after, on_event=progress.stack_event,
                              timeout=DELETE_TIMEOUT, stack_id=stack.stack_id)
    if final is not None:
        raise_if_failed(final, events, "deletion")
