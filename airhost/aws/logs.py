"""CloudWatch Logs: read a task's stream as it grows, or search a log group."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

from airhost.aws.errors import AwsApiError
from airhost.aws.session import AwsSession


@dataclass(frozen=True)
class LogEvent:
    timestamp: int  # milliseconds since the epoch
    stream: str
    message: str
    event_id: str = ""


class Logs:
    def __init__(self, session: AwsSession) -> None:
        self.session = session

    def read_stream(self, group: str, stream: str, token: str | None) -> tuple[list[LogEvent], str | None]:
        """New events of one stream after ``token`` and the token to continue from.

        A stream that does not exist yet (the task has not logged) reads as empty.
        """
        kwargs: dict[str, Any] = {"logGroupName": group, "logStreamName": stream}
        kwargs.update({"nextToken": token} if token else {"startFromHead": True})
        try:
            response = self.session.call("logs", "get_log_events", **kwargs)
        except AwsApiError as error:
            if error.code == "ResourceNotFoundException":
                return [], token
            raise
        events = [LogEvent(e["timestamp"], stream, e["message"].rstrip("\n"))
                  for e in response.get("events", [])]
        return events, response.get("nextForwardToken") or token

    def search(self, group: str, *, start_ms: int, prefix: str | None = None,
               pattern: str | None = None) -> Iterator[LogEvent]:
        """Events of a group since ``start_ms``, optionally of streams starting with ``prefix``."""
        kwargs: dict[str, Any] = {"logGroupName": group, "startTime": start_ms}
        if prefix:
            kwargs["logStreamNamePrefix"] = prefix
        if pattern:
            kwargs["filterPattern"] = pattern
        try:
            for raw in self.session.pages("logs", "filter_log_events", "events", **kwargs):
                yield LogEvent(raw["timestamp"], raw.get("logStreamName", ""),
                               raw["message"].rstrip("\n"), raw.get("eventId", ""))
        except AwsApiError as error:
            if error.code != "ResourceNotFoundException":
                raise
