"""How many Celery workers a group needs, and the step-scaling policy that applies that arithmetic.

One rule sizes every worker group::

    desired workers = ceil((queued + running tasks) / tasks_per_worker), clamped to [min, max]

``desired_workers`` is that rule; ``scale_out_steps`` turns it into the step adjustments of an
Application Auto Scaling policy (``AdjustmentType: ExactCapacity``) whose alarm fires when the backlog
is above 0, and ``policy_workers`` reads a policy back the way Application Auto Scaling applies it, so
tests can check that the rendered policy and the rule agree for every backlog. Pure.

Step bounds are relative to the alarm's threshold (0); a lower bound is inclusive and an upper bound
exclusive. The backlog is a whole number of messages, so putting each boundary half-way between two
whole numbers (``k * tasks_per_worker + 0.5``) makes the steps exact whichever way a bound is counted.
A policy holds at most ``MAX_STEPS`` steps: when a group may grow past that many distinct sizes, the
last step covers the rest and jumps to ``max`` (over-provisioning only for very large backlogs).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# Application Auto Scaling's limit of step adjustments in one step scaling policy.
MAX_STEPS = 20


@dataclass(frozen=True)
class Step:
    """Backlogs in [lower, upper) (relative to the alarm threshold 0) set the group to ``workers``."""

    lower: float
    upper: float | None  # None: no upper bound
    workers: int


def desired_workers(backlog: int, tasks_per_worker: int, minimum: int, maximum: int) -> int:
    """Workers for ``backlog`` queued and running tasks: ceil(backlog / per worker) within [min, max]."""
    if tasks_per_worker < 1 or minimum < 0 or maximum < minimum:
        raise ValueError("need tasks_per_worker >= 1 and 0 <= minimum <= maximum")
    needed = math.ceil(max(backlog, 0) / tasks_per_worker)
    return min(max(needed, minimum), maximum)


def scale_out_steps(tasks_per_worker: int, minimum: int, maximum: int) -> list[Step]:
    """The steps of a policy that sets ``desired_workers`` for every backlog above 0."""
    first = desired_workers(1, tasks_per_worker, minimum, maximum)
    sizes = list(range(first, maximum + 1))
    exact, rest = sizes[: MAX_STEPS - 1], sizes[MAX_STEPS - 1:]
    steps: list[Step] = []
    for index, workers in enumerate(exact):
        lower = 0.0 if index == 0 else (workers - 1) * tasks_per_worker + 0.5
        upper = workers * tasks_per_worker + 0.5
        steps.append(Step(lower, upper, workers))
    if rest:
        steps.append(Step(steps[-1].upper if steps else 0.0, None, maximum))
    else:
        last = steps[-1]
        steps[-1] = Step(last.lower, None, last.workers)  # the largest size takes any larger backlog
    return steps


def policy_workers(steps: list[Step], backlog: int) -> int | None:
    """What Application Auto Scaling sets the group to for ``backlog``; None when no step applies."""
    for step in steps:
        if step.lower <= backlog and (step.upper is None or backlog < step.upper):
            return step.workers
    return None


def exact_up_to(tasks_per_worker: int, minimum: int, maximum: int) -> int | None:
    """The largest backlog the policy sizes exactly (beyond it: ``max``); None when it always does."""
    sizes = maximum - desired_workers(1, tasks_per_worker, minimum, maximum) + 1
    if sizes <= MAX_STEPS:
        return None
    return scale_out_steps(tasks_per_worker, minimum, maximum)[-2].workers * tasks_per_worker
