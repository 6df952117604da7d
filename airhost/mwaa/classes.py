"""What Amazon MWAA documents for each environment class, for matching its capacity on ECS.

From AWS's "Configuring the Amazon MWAA environment class" page: concurrent tasks per worker by
default (what ``celery.worker_autoscale`` raises), the vCPU and memory of a worker and of a scheduler,
and the scheduler and web server counts. mw1.micro runs one container that is scheduler and worker
at once, with one web server, and does not scale.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ClassCapacity:
    name: str
    tasks_per_worker: int
    vcpu: int
    memory_gb: int
    default_schedulers: int = 2
    default_webservers: int = 2
    max_workers: int = 25
    autoscales: bool = True

    @property
    def task_size(self) -> dict[str, int]:
        """The ECS size (CPU units, MiB) of one of its workers or schedulers."""
        return {"cpu": self.vcpu * 1024, "memory": self.memory_gb * 1024}


CAPACITIES = {
    capacity.name: capacity
    for capacity in (
        ClassCapacity("mw1.micro", 3, 1, 3, default_schedulers=1, default_webservers=1, max_workers=1,
                      autoscales=False),
        ClassCapacity("mw1.small", 5, 1, 2),
        ClassCapacity("mw1.medium", 10, 2, 4),
        ClassCapacity("mw1.large", 20, 4, 8),
        ClassCapacity("mw1.xlarge", 40, 8, 24),
        ClassCapacity("mw1.2xlarge", 80, 16, 48),
    )
}
