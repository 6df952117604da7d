"""Local target commands: ``up`` and ``down``."""

from __future__ import annotations

COMMANDS: list = []
