"""RDS: the metadata database's state, and its snapshots."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from airhost.aws.errors import AwsApiError, WaitTimeout
from airhost.aws.session import AwsSession


@dataclass(frozen=True)
class DatabaseState:
    instance_id: str
    status: str
    engine_version: str
    instance_class: str
    deletion_protection: bool


@dataclass(frozen=True)
class Snapshot:
    snapshot_id: str
    instance_id: str
    status: str
    created: datetime | None
    size_gb: int
    engine_version: str
    kind: str  # manual | automated
    tags: dict[str, str]


class Rds:
    def __init__(self, session: AwsSession) -> None:
        self.session = session
        self.clock = session.clock

    def describe(self, instance_id: str) -> DatabaseState | None:
        try:
            found = self.session.call("rds", "describe_db_instances",
                                      DBInstanceIdentifier=instance_id)["DBInstances"]
        except AwsApiError as error:
            if error.code == "DBInstanceNotFound":
                return None
            raise
        raw = found[0]
        return DatabaseState(
            instance_id=raw["DBInstanceIdentifier"], status=raw.get("DBInstanceStatus", "unknown"),
            engine_version=raw.get("EngineVersion", ""), instance_class=raw.get("DBInstanceClass", ""),
            deletion_protection=bool(raw.get("DeletionProtection")),
        )

    def set_deletion_protection(self, instance_id: str, enabled: bool) -> None:
        self.session.call("rds", "modify_db_instance", DBInstanceIdentifier=instance_id,
                          DeletionProtection=enabled, ApplyImmediately=True)

    def create_snapshot(self, instance_id: str, snapshot_id: str, tags: dict[str, str]) -> None:
        self.session.call("rds", "create_db_snapshot", DBInstanceIdentifier=instance_id,
                          DBSnapshotIdentifier=snapshot_id,
                          Tags=[{"Key": k, "Value": v} for k, v in sorted(tags.items())])

    def wait_snapshot(self, snapshot_id: str, *, timeout: float) -> None:
        deadline = self.clock.monotonic() + timeout
        while True:
            found = self.session.call("rds", "describe_db_snapshots",
                                      DBSnapshotIdentifier=snapshot_id)["DBSnapshots"]
            status = found[0].get("Status", "") if found else "missing"
            if status == "available":
                return
            if status in ("failed", "missing") or self.clock.monotonic() > deadline:
                raise WaitTimeout(f"database snapshot {snapshot_id} is {status}, not available",
                                  hint="nothing was deleted; check the snapshot in the RDS console "
                                       "and run the command again")
            self.clock.sleep(self.clock.poll_seconds)

    def snapshot(self, snapshot_id: str) -> Snapshot | None:
        try:
            found = self.session.call("rds", "describe_db_snapshots",
                                      DBSnapshotIdentifier=snapshot_id)["DBSnapshots"]
        except AwsApiError as error:
            if error.code in ("DBSnapshotNotFound", "DBSnapshotNotFoundFault"):
                return None
            raise
        return self._snapshot(found[0]) if found else None

    def manual_snapshots(self) -> list[Snapshot]:
        """Every manual snapshot in the region, with its tags (callers pick their own by tag)."""
        return [self._snapshot(raw) for raw in self.session.pages(
            "rds", "describe_db_snapshots", "DBSnapshots", SnapshotType="manual")]

    def _snapshot(self, raw: dict[str, Any]) -> Snapshot:
        tags = raw.get("TagList")
        if tags is None:
            listed = self.session.call("rds", "list_tags_for_resource",
                                       ResourceName=raw["DBSnapshotArn"])
            tags = listed.get("TagList", [])
        return Snapshot(
            snapshot_id=raw["DBSnapshotIdentifier"], instance_id=raw.get("DBInstanceIdentifier", ""),
            status=raw.get("Status", "unknown"), created=raw.get("SnapshotCreateTime"),
            size_gb=int(raw.get("AllocatedStorage", 0)), engine_version=raw.get("EngineVersion", ""),
            kind=raw.get("SnapshotType", "manual"),
            tags={tag["Key"]: tag["Value"] for tag in tags})

    def delete_snapshot(self, snapshot_id: str) -> None:
        self.session.call("rds", "delete_db_snapshot", DBSnapshotIdentifier=snapshot_id)

    def delete_instance(self, instance_id: str, final_snapshot: str) -> None:
        """Delete an instance after a final snapshot (RDS takes it before deleting)."""
        self.session.call("rds", "delete_db_instance", DBInstanceIdentifier=instance_id,
                          FinalDBSnapshotIdentifier=final_snapshot, DeleteAutomatedBackups=False)
