"""``status`` and ``logs``, for any target."""

from __future__ import annotations

COMMANDS: list = []
