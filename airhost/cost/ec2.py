"""What an EC2 environment's compute costs: its Auto Scaling groups' instances and root volumes.

Each group of ``resolved_groups`` runs its instances on demand all month at its configured count
(a worker group at its min; "at max" has every worker group at its max), each with its encrypted
gp3 root volume. Parked, every group is at zero: the instances are terminated and their root
volumes deleted with them, so nothing of it is billed. The split topology's internal network load
balancer is counted from the templates with the other load balancers (``airhost.cost.estimate``).
"""

from __future__ import annotations

from airhost.config.ec2 import ResolvedGroup, resolved_groups
from airhost.config.models import Environment
from airhost.cost.compute import ComputeLine
from airhost.cost.mwaa import AirflowShape, WorkerGroup
from airhost.cost.prices import CostError, RegionPrices


def instance_types(env: Environment) -> list[str]:
    """The instance types the estimate prices (what ``--refresh-prices`` asks for)."""
    return sorted({group.instance_type for group in resolved_groups(env)})


def _hourly(prices: RegionPrices, group: ResolvedGroup) -> float:
    known = prices.names("ec2", "instance_hour")
    if group.instance_type not in known:
        raise CostError(f"no price for instance type {group.instance_type} (group {group.name}) in "
                        f"{prices.region}: the price table lists {', '.join(known)}",
                        hint="pass --refresh-prices to read it from the AWS Price List API")
    return prices.get("ec2", "instance_hour", group.instance_type)


def ec2_compute_lines(env: Environment, prices: RegionPrices, task_hours: float) -> list[ComputeLine]:
    """One line for the instances, one for their root volumes."""
    hours, gp3 = prices.hours_per_month, prices.get("ec2", "ebs_gp3_gb_month")
    groups = resolved_groups(env)
    instances = at_max = disks = disks_at_max = 0.0
    parts, volumes = [], []
    for group in groups:
        top = group.maximum if group.queue else group.desired
        hourly = _hourly(prices, group)
        instances += group.desired * hourly * hours
        at_max += top * hourly * hours
        disks += group.desired * group.root_volume_gb * gp3
        disks_at_max += top * group.root_volume_gb * gp3
        count = f"{group.minimum}..{group.maximum}" if group.queue else str(group.desired)
        parts.append(f"{group.name} {count} × {group.instance_type}")
        volumes.append(f"{group.root_volume_gb} GB")
    lines = [
        ComputeLine("instances (EC2 on demand)", "; ".join(parts), instances, at_max),
        ComputeLine("root volumes (EBS gp3)", "one per instance: " + ", ".join(volumes), disks,
                    disks_at_max),
    ]
    return lines


def _vcpu(prices: RegionPrices, group: ResolvedGroup) -> float:
    spec = prices.instance_types.get(group.instance_type, {})
    vcpu = spec.get("vcpu")
    if vcpu is None:
        raise CostError(f"no vCPU count for instance type {group.instance_type} (group {group.name}): "
                        "MWAA's class of equal capacity is chosen by it",
                        hint="add it to the price table's instance_types (airhost/cost/prices.json)")
    return float(vcpu)


def ec2_shape(env: Environment, prices: RegionPrices) -> AirflowShape:
    """The EC2 environment as MWAA's classes measure it: its nodes' vCPU and counts."""
    groups = {group.name: group for group in resolved_groups(env)}
    if "standalone" in groups:
        return AirflowShape(_vcpu(prices, groups["standalone"]), single=True)
    workers = tuple(WorkerGroup(g.minimum, g.maximum, _vcpu(prices, g))
                    for g in groups.values() if g.queue)
    default = groups.get("worker")
    return AirflowShape(_vcpu(prices, groups["scheduler"]),
                        _vcpu(prices, default) if default else None,
                        env.ec2.schedulers, env.ec2.api_servers, worker_groups=workers)
