"""Reading the local components' logs: the last lines of each, and following them as they grow."""

from __future__ import annotations

import time
from collections import deque
from pathlib import Path
from typing import Callable, Iterator


def last_lines(path: Path, count: int) -> list[str]:
    if not path.exists():
        return []
    with path.open(errors="replace") as handle:
        return [line.rstrip("\n") for line in deque(handle, maxlen=count)]


def follow(paths: dict[str, Path], *, stop: Callable[[], bool] = lambda: False,
           poll: float = 0.5, sleep: Callable[[float], None] = time.sleep) -> Iterator[tuple[str, str]]:
    """Yield (component, line) for every line appended to the logs from now on."""
    offsets = {name: (path.stat().st_size if path.exists() else 0) for name, path in paths.items()}
    partial = {name: "" for name in paths}
    while not stop():
        for name, path in paths.items():
            if not path.exists():
                continue
            size = path.stat().st_size
            if size < offsets[name]:  # rotated
                offsets[name] = 0
            if size == offsets[name]:
                continue
            with path.open(errors="replace") as handle:
                handle.seek(offsets[name])
                chunk = handle.read()
                offsets[name] = handle.tell()
            text = partial[name] + chunk
            *complete, partial[name] = text.split("\n")
            for line in complete:
                yield name, line
        sleep(poll)
