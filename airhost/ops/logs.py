"""``logs`` of an ECS environment: its components' CloudWatch streams, searched or followed.

Streams are named ``<component>/<container>/<task id>`` in the environment's log group, so a component
is a stream prefix; without one, every component's lines come interleaved.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Callable

from airhost.aws.logs import LogEvent
from airhost.config.models import Environment
from airhost.errors import UsageError
from airhost.ops.environment import AwsEnvironment

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


def show_logs(env: Environment, component: str | None = None, since: str = "10m",
              follow: bool = False, filter: str | None = None,  # noqa: A002 (the CLI's word)
              echo: Callable[[str], None] = print, *, aws: AwsEnvironment | None = None) -> int:
    """Print the environment's log lines through ``echo``; the number of lines printed.

    With ``follow`` it keeps polling for new lines until interrupted (Ctrl-C ends it normally).
    """
    aws = aws or AwsEnvironment(env)
    facts = aws.facts
    known = sorted(set(facts.services) | {"utils"})
    if component is not None and component not in known:
        raise UsageError(f"no component '{component}' in environment {env.name}",
                         hint="its components: " + ", ".join(known))
    start = parse_since(since, aws.clock.utcnow())
    prefix = f"{component}/" if component else None
    seen: set[str] = set()
    printed = 0
    try:
        while True:
            newest = start
            for event in aws.logs.search(facts.log_group, start_ms=start, prefix=prefix,
                                         pattern=filter):
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
            aws.clock.sleep(aws.clock.poll_seconds)
    except KeyboardInterrupt:
        return printed
