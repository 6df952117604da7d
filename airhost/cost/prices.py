"""The price table airhost ships (``prices.json``) and the prices of one region out of it.

The table is dated and names its source; each region carries notes saying which figures were checked
and which are approximate. ``RegionPrices`` is what the estimate reads: ``prices.get("nat_gateway",
"hour")``. Figures refreshed from the AWS Price List API replace the shipped ones for that run only,
through ``with_figures``; nothing is written back.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from airhost.errors import AirhostError

TABLE_FILE = "prices.json"
REFERENCE_REGION = "us-east-1"


class CostError(AirhostError):
    """The estimate cannot be made: the environment, region or a price is not covered."""

    exit_code = 2


@dataclass(frozen=True)
class PriceTable:
    """The whole shipped table: date, source, notes, instance shapes and per-region prices."""

    date: str
    source: str
    hours_per_month: int
    notes: list[str]
    instance_types: dict[str, dict[str, Any]]
    regions: dict[str, dict[str, Any]]

    def region(self, name: str) -> RegionPrices:
        if name not in self.regions:
            raise CostError(
                f"no prices for region {name}: the price table shipped with airhost "
                f"(dated {self.date}) covers {', '.join(sorted(self.regions))}",
                hint="pass --refresh-prices to read this region's prices from the AWS Price List API, "
                     "or estimate with an environment in a covered region",
            )
        data = self.regions[name]
        return RegionPrices(region=name, date=self.date, source=self.source,
                            hours_per_month=self.hours_per_month, data=data,
                            notes=list(self.notes) + list(data.get("notes", [])),
                            instance_types=self.instance_types)


@dataclass(frozen=True)
class RegionPrices:
    """The prices of one region, as the estimate reads them."""

    region: str
    date: str
    source: str
    hours_per_month: int
    data: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    instance_types: dict[str, dict[str, Any]] = field(default_factory=dict)
    refreshed: tuple[str, ...] = ()

    def get(self, *path: str) -> float:
        """The figure at ``path`` (e.g. ``"alb", "hour"``); a missing one is a clear error."""
        value: Any = self.data
        for key in path:
            if not isinstance(value, dict) or key not in value:
                where = " → ".join(path)
                raise CostError(
                    f"no price for {where} in {self.region}: the price table (dated {self.date}) "
                    "does not list it",
                    hint="pass --refresh-prices to read it from the AWS Price List API, or choose a "
                         "listed one (see airhost/cost/prices.json)",
                )
            value = value[key]
        return float(value)

    def names(self, *path: str) -> list[str]:
        """The keys under ``path``: e.g. the instance types or database classes with a price."""
        value: Any = self.data
        for key in path:
            value = value.get(key, {}) if isinstance(value, dict) else {}
        return sorted(value) if isinstance(value, dict) else []

    def with_figures(self, figures: dict[tuple[str, ...], float], *, date: str,
                     source: str) -> RegionPrices:
        """A copy with ``figures`` (path → price) replacing the table's, dated and sourced anew."""
        if not figures:
            return self
        data = copy.deepcopy(self.data)
        for path, price in figures.items():
            node = data
            for key in path[:-1]:
                node = node.setdefault(key, {})
            node[path[-1]] = price
        refreshed = tuple(sorted(" → ".join(path) for path in figures))
        note = (f"{len(figures)} figures refreshed from the AWS Price List API on {date}; the others are "
                f"the shipped table's (dated {self.date}).")
        return RegionPrices(region=self.region, date=date, source=f"{source}; the rest: {self.source}",
                            hours_per_month=self.hours_per_month, data=data,
                            notes=self.notes + [note], instance_types=self.instance_types,
                            refreshed=refreshed)


def load_price_table(text: str | None = None) -> PriceTable:
    """The table shipped with airhost (or ``text``, for tests)."""
    if text is None:
        text = (resources.files("airhost.cost") / TABLE_FILE).read_text(encoding="utf-8")
    raw = json.loads(text)
    return PriceTable(date=raw["date"], source=raw["source"], hours_per_month=int(raw["hours_per_month"]),
                      notes=list(raw.get("notes", [])), instance_types=raw.get("instance_types", {}),
                      regions=raw["regions"])


def region_from_reference(table: PriceTable, region: str) -> RegionPrices:
    """Prices for a region the table lacks: us-east-1's, to be overwritten by refreshed figures."""
    reference = table.region(REFERENCE_REGION)
    note = (f"{region} is not in the shipped table: figures the AWS Price List API did not answer "
            f"for are {REFERENCE_REGION}'s.")
    return RegionPrices(region=region, date=reference.date, source=reference.source,
                        hours_per_month=reference.hours_per_month, data=copy.deepcopy(reference.data),
                        notes=list(table.notes) + [note], instance_types=reference.instance_types)
