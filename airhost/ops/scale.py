"""``scale``: components to counts, or the whole environment parked at zero and resumed.

The counts themselves are the target's (``Deployment.scale``, ``park``, ``resume``); here is what
every target shares: reading ``COMPONENT=COUNT`` pairs.
"""

from __future__ import annotations

from airhost.errors import UsageError


def parse_counts(pairs: list[str]) -> dict[str, int]:
    """``["worker=3", "scheduler=2"]`` as {component: count}."""
    counts: dict[str, int] = {}
    for pair in pairs:
        component, _, value = pair.partition("=")
        if not component or not value.strip().isdigit():
            raise UsageError(f"'{pair}' is not COMPONENT=COUNT", hint="e.g. worker=3 scheduler=2")
        counts[component.strip()] = int(value)
    return counts
