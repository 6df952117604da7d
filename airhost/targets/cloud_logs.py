"""Component logs in CloudWatch Logs, searched or followed: the cloud targets' ``logs``.

A component's lines are the streams under its prefix in the environment's log group; without one,
every component's lines come interleaved, each with its component's name. ``interleaved`` follows
several line streams at once (the pods of a component on EKS).
"""

from __future__ import annotations

import queue
import re
import threading
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Iterable, Iterator

from airhost.aws.logs import LogEvent
from airhost.errors import UsageError
from airhost.targets.base import Echo

if TYPE_CHECKING:
    from airhost.targets.cloud import CloudEnvironment

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_since(since: str, now: datetime) -> int:
    """'10m', '2h', '1d' or an ISO time, as epoch milliseconds."""
    match = re.fullmatch(r"\s*(\d+)\s*([smhdw])\s*", since)
    if match:
        return int((now.timestamp() - int(match[1]) * UNITS[match[2]]) * 1000)
    try:
        moment = datetime.fromisoformat(since.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"--since '{since}' is not a duration or a time",
                         hint="use e.g. 30s, 10m, 2h, 1d, or 2026-05-01T12:00:00Z") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return int(moment.timestamp() * 1000)


def format_event(event: LogEvent) -> str:
    moment = datetime.fromtimestamp(event.timestamp / 1000, tz=timezone.utc)
    component = event.stream.split("/", 1)[0]
    return f"{moment.strftime('%Y-%m-%dT%H:%M:%SZ')} {component:<13} {event.message}"


def show_logs(cloud: CloudEnvironment, group: str, prefix: str | None, *, since: str,
              follow: bool, pattern: str | None, echo: Echo) -> int:
    """Print the group's lines through ``echo``; the number printed. ``follow`` polls until Ctrl-C."""
    start = parse_since(since, cloud.clock.utcnow())
    seen: set[str] = set()
    printed = 0
    try:
        while True:
            newest = start
            for event in cloud.logs.search(group, start_ms=start, prefix=prefix, pattern=pattern):
                key = event.event_id or f"{event.stream}:{event.timestamp}:{event.message}"
                if key in seen:
                    continue
                seen.add(key)
                echo(format_event(event))
                printed += 1
                newest = max(newest, event.timestamp)
            if not follow:
                return printed
            start = newest  # the same millisecond again: duplicates are skipped by id
            cloud.clock.sleep(cloud.clock.poll_seconds)
    except KeyboardInterrupt:
        return printed


def interleaved(streams: dict[str, Iterable[str]]) -> Iterator[tuple[str, str]]:
    """(name, line) from every stream as each line arrives, until every stream has ended: the
    way to follow several pods' logs at once. A stream that fails ends the whole with its error."""
    arrived: queue.Queue[tuple[str, str | None, BaseException | None]] = queue.Queue()

    def pump(name: str, stream: Iterable[str]) -> None:
        try:
            for line in stream:
                arrived.put((name, line, None))
        except BaseException as error:  # noqa: BLE001 - handed to the reader, raised there
            arrived.put((name, None, error))
            return
        arrived.put((name, None, None))

    for name, stream in streams.items():
        threading.Thread(target=pump, args=(name, stream), daemon=True,
                         name=f"log-{name}").start()
    open_streams = len(streams)
    while open_streams:
        name, line, error = arrived.get()
        if error is not None:
            raise error
        if line is None:
            open_streams -= 1
            continue
        yield name, line
