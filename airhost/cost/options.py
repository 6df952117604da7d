"""Cheaper options: the same environment with each egress choice, side by side.

Each choice is estimated as a whole (``estimate`` of the environment with only ``network.egress``
changed), so a choice's figure carries everything it changes: the NAT line, and for ``endpoints``
the interface endpoints instead. An existing VPC has no choice here: its egress is not airhost's. A
choice the environment's target would refuse as configured says why (endpoints on EKS, or on ECS
with the image from Docker Hub).
"""

from __future__ import annotations

from typing import Any

from dataclasses import dataclass

from airhost.config.models import Environment, target_rules
from airhost.cost.estimate import Assumptions, estimate
from airhost.cost.prices import RegionPrices

CHOICES = ("nat-instance", "nat-gateway", "endpoints")
WHAT_IT_CHANGES = {
    "nat-instance": "one t4g.nano NAT instance in one AZ, replaced by its Auto Scaling group in minutes "
                    "if it fails; no per-GB charge; patched by redeploying (latest AL2023)",
    "nat-gateway": "AWS's managed NAT: no instance to patch, scales to 100 Gbps, but an hourly floor "
                   "and $/GB processed",
    "endpoints": "no internet at all: AWS APIs through interface endpoints, billed per AZ-hour even "
                 "parked; needs ecs.image: ecr, no Tailscale, no git DAGs",
}


@dataclass(frozen=True)
class EgressOption:
    egress: str
    monthly: float
    parked: float
    difference: float  # against the environment as configured, a month (negative: cheaper)
    parked_difference: float
    current: bool
    changes: str
    scheduled: float | None = None  # on the environment's schedule, when it has one
    refused: str | None = None  # why the target would refuse this choice as configured

    def to_json(self) -> dict:
        return {"scheduled": None if self.scheduled is None else round(self.scheduled, 2),"egress": self.egress, "monthly": round(self.monthly, 2), "parked": round(self.parked, 2),
                "difference": round(self.difference, 2),
                "parked_difference": round(self.parked_difference, 2), "current": self.current,
                "changes": self.changes, "refused": self.refused}


def egress_options(env: Environment, prices: RegionPrices,
                   assumptions: Assumptions | None = None,
                   estimator: Any = None) -> list[EgressOption]:
    """Each egress choice's figures for ``env``, through its target's ``estimator``."""
    estimate_ = estimator or estimate
    if env.network.vpc_id:
        return []
    base = estimate_(env, prices, assumptions)
    options = []
    for choice in CHOICES:
        changed = env.model_copy(update={"network": env.network.model_copy(update={"egress": choice})})
        try:
            target_rules(changed)
            refused = None
        except ValueError as error:
            refused = str(error)
        other = base if choice == env.network.egress else estimate_(changed, prices, assumptions)
        options.append(EgressOption(choice, other.total, other.parked, other.total - base.total,
                                    other.parked - base.parked, choice == env.network.egress,
                                    WHAT_IT_CHANGES[choice], other.scheduled, refused))
    return options
