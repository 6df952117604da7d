"""The one root exception of airhost and its families.

Every error a user can cause or meet is an ``AirhostError``: it carries the process exit code and a
message written as "what happened: why — what to do". Errors are raised anywhere and caught only at
the CLI boundary, which prints the message (and the traceback with ``--debug``).
"""

from __future__ import annotations


class AirhostError(Exception):
    """Base of every error airhost reports to a user."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message} — {self.hint}"
        return self.message


class ConfigError(AirhostError):
    """airhost.yaml (or a command's input) is missing, malformed or invalid."""

    exit_code = 2

    def __init__(self, message: str, *, problems: list[str] | None = None, hint: str | None = None):
        super().__init__(message, hint=hint)
        self.problems = problems or []

    def __str__(self) -> str:
        text = super().__str__()
        if self.problems:
            text += "\n" + "\n".join(f"  - {p}" for p in self.problems)
        return text


class UsageError(AirhostError):
    """A command was called with arguments that cannot work."""

    exit_code = 2


class LocalError(AirhostError):
    """The local target could not do what was asked (missing binaries, a failing component)."""

    exit_code = 1


class Aborted(AirhostError):
    """The user declined a confirmation or interrupted a command."""

    exit_code = 130


class ComponentFailing(AirhostError):
    """A deployed component stops at every start: waiting longer would not help."""

    exit_code = 1
