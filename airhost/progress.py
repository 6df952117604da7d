"""How long operations report what they do, and ask before doing it.

Operations take a ``Progress``: the CLI's prints to stderr with rich and asks on the terminal; the
default one is silent and answers every question with its ``answer`` (tests, benchmarks, library
use). Data never goes through here: operations return it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: boto3 stays unimported for commands that never reach AWS
    from airhost.aws.cloudformation import ResourceChange, StackEvent


class Progress:
    """Silent progress; records what it was told, answers questions with ``answer``."""

    def __init__(self, answer: bool = True) -> None:
        self.answer = answer
        self.lines: list[str] = []
        self.questions: list[str] = []

    def step(self, message: str) -> None:
        """A new stage of the operation."""
        self.lines.append(message)

    def detail(self, message: str) -> None:
        """Something worth knowing within the current stage."""
        self.lines.append(message)

    def warn(self, message: str) -> None:
        self.lines.append(f"warning: {message}")

    def stack_event(self, event: StackEvent) -> None:
        reason = f" {event.reason}" if event.reason else ""
        self.lines.append(f"{event.stack} {event.logical_id} {event.status}{reason}")

    def changes(self, stack: str, changes: tuple[ResourceChange, ...]) -> None:
        """A change set about to be shown to the user for confirmation."""
        for change in changes:
            self.lines.append(f"{stack} {change.action} {change.logical_id} {change.resource_type}")

    def log_line(self, line: str) -> None:
        """A line a task wrote to its log."""
        self.lines.append(line)

    def confirm(self, question: str) -> bool:
        self.questions.append(question)
        return self.answer

    def text(self) -> str:
        return "\n".join(self.lines)
