"""SSM Run Command: a shell command on one managed instance, its output and exit code."""

from __future__ import annotations

from dataclasses import dataclass

from airhost.aws.session import AwsSession

DOCUMENT = "AWS-RunShellScript"
DONE = {"Success", "Failed", "Cancelled", "TimedOut", "Cancelling"}


@dataclass(frozen=True)
class Invocation:
    command_id: str
    instance_id: str
    status: str  # Pending, InProgress, Success, Failed, TimedOut, Cancelled
    exit_code: int | None
    output: str
    errors: str

    @property
    def done(self) -> bool:
        return self.status in DONE


class Commands:
    def __init__(self, session: AwsSession) -> None:
        self.session = session

    def send(self, instance_id: str, script: list[str], *, comment: str, timeout: int,
             log_group: str | None = None) -> str:
        """Start ``script`` (shell lines) on the instance; its command id. Output also goes to
        ``log_group`` (Run Command's own CloudWatch output) when given: its answer keeps 24,000
        characters only."""
        request: dict = {"InstanceIds": [instance_id], "DocumentName": DOCUMENT,
                         "Comment": comment[:100], "TimeoutSeconds": max(30, min(timeout, 2592000)),
                         "Parameters": {"commands": script,
                                        "executionTimeout": [str(max(1, min(timeout, 172800)))]}}
        if log_group:
            request["CloudWatchOutputConfig"] = {"CloudWatchOutputEnabled": True,
                                                 "CloudWatchLogGroupName": log_group}
        return self.session.call("ssm", "send_command", **request)["Command"]["CommandId"]

    def invocation(self, command_id: str, instance_id: str) -> Invocation:
        raw = self.session.call("ssm", "get_command_invocation", CommandId=command_id,
                                InstanceId=instance_id)
        code = raw.get("ResponseCode")
        return Invocation(command_id, instance_id, raw.get("Status", ""),
                          None if code is None or code < 0 else int(code),
                          raw.get("StandardOutputContent", ""), raw.get("StandardErrorContent", ""))

    def cancel(self, command_id: str) -> None:
        self.session.call("ssm", "cancel_command", CommandId=command_id)


    def start_session(self, instance_id: str) -> dict:
        """A Session Manager session to the instance (what session-manager-plugin connects)."""
        answer = self.session.call("ssm", "start_session", Target=instance_id)
        return {key: answer[key] for key in ("SessionId", "TokenValue", "StreamUrl") if key in answer}
