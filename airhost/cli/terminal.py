"""Progress on the terminal for long AWS operations: steps, streamed stack events, task logs.

Everything goes to stderr (data stays on stdout) except, for ``airhost run``, the task's own log
lines: they are the command's output. Questions are asked on the terminal unless ``--yes``.
"""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING

import click
from rich.markup import escape
from rich.table import Table

from airhost.cli.output import stderr, stdout
from airhost.errors import AirhostError, UsageError
from airhost.progress import Progress

if TYPE_CHECKING:  # annotations only: boto3 stays unimported for commands that never reach AWS
    from airhost.aws.cloudformation import ResourceChange, StackEvent


def out(*objects: object, **options: object) -> None:
    """Print data to stdout. No emoji codes: ARNs hold ':secret:' and the like."""
    stdout.print(*objects, emoji=False, **options)  # type: ignore[arg-type]


def err(*objects: object, **options: object) -> None:
    """Print progress to stderr, without emoji codes."""
    stderr.print(*objects, emoji=False, **options)  # type: ignore[arg-type]


ACTION_STYLES = {"Add": "green", "Modify": "yellow", "Remove": "red", "Import": "cyan"}


def _status_style(status: str) -> str:
    if "FAILED" in status or "ROLLBACK" in status:
        return "red"
    if status.endswith("_COMPLETE"):
        return "green"
    return "yellow"


class TerminalProgress(Progress):
    """Progress printed with rich; ``yes`` answers every question without asking."""

    def __init__(self, *, yes: bool = False, logs_to_stdout: bool = False) -> None:
        super().__init__(answer=yes)
        self.yes = yes
        self.logs_to_stdout = logs_to_stdout
        self.started = time.monotonic()

    def _elapsed(self) -> str:
        seconds = int(time.monotonic() - self.started)
        return f"[dim]{seconds // 60:02d}:{seconds % 60:02d}[/dim]"

    def step(self, message: str) -> None:
        err(f"{self._elapsed()} [bold]{escape(message)}[/bold]")

    def detail(self, message: str) -> None:
        err(f"      {escape(message)}", style="dim")

    def warn(self, message: str) -> None:
        err(f"      warning: {escape(message)}", style="yellow")

    def stack_event(self, event: StackEvent) -> None:
        reason = f" — {escape(event.reason)}" if event.reason else ""
        style = _status_style(event.status)
        err(f"{self._elapsed()}   {escape(event.logical_id)} [dim]{escape(event.resource_type)}"
                     f"[/dim] [{style}]{event.status}[/{style}]{reason}")

    def changes(self, stack: str, changes: tuple[ResourceChange, ...]) -> None:
        if not changes:
            err(f"{stack}: no resource changes (parameters, outputs or metadata only)")
        else:
            err(changes_table(stack, changes))

    def log_line(self, line: str) -> None:
        if self.logs_to_stdout:
            out(escape(line), highlight=False)
        else:
            err(f"      │ {escape(line)}", style="dim")

    def confirm(self, question: str) -> bool:
        self.questions.append(question)
        if self.yes:
            return True
        if not sys.stdin.isatty():
            raise UsageError(f"cannot ask '{question}': not running in a terminal",
                             hint="pass --yes to confirm in scripts")
        return click.confirm(question, default=False, err=True)


def changes_table(stack: str, changes: tuple[ResourceChange, ...] | list[ResourceChange]) -> Table:
    table = Table("action", "resource", "type", "replacement", title=f"{stack}: {len(changes)} changes",
                  title_justify="left", box=None, pad_edge=False)
    for change in changes:
        style = ACTION_STYLES.get(change.action, "")
        replacement = {"True": "REPLACED", "Conditional": "maybe replaced"}.get(change.replacement or "", "")
        table.add_row(f"[{style}]{change.action}[/{style}]" if style else change.action,
                      escape(change.logical_id), escape(change.resource_type),
                      f"[red]{replacement}[/red]" if replacement else "")
    return table


class ExitStatus(AirhostError):
    """Not a failure of airhost: a status a script reads from the exit code (run, plan)."""

    def __init__(self, message: str, exit_code: int, *, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.exit_code = exit_code
