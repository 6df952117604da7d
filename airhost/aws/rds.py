"""RDS: the metadata database's state, and its snapshots."""

from __future__ import annotations

from dataclasses import dataclass

from airhost.aws.errors import AwsApiError, WaitTimeout
from airhost.aws.session import AwsSession


@dataclass(frozen=True)
class DatabaseState:
    instance_id: str
    status: str
    engine_version: str
    instance_class: str
    deletion_protection: bool


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
