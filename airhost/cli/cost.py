"""``airhost cost ENV``: the monthly estimate, running and parked, beside Amazon MWAA."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import click
from rich.markup import escape
from rich.table import Table

from airhost.cli.output import config_option, emit, output_option, project_from, stderr, stdout
from airhost.config.models import Environment
from airhost.cost import (
    Assumptions, PriceTable, RegionPrices, load_price_table, region_from_reference,
)
from airhost.cost.compute import candidate_types
from airhost.cost.options import egress_options
from airhost.errors import AirhostError
from airhost.targets import require


def _money(value: float) -> str:
    return f"${value:,.2f}"


def refreshed_prices(env: Environment, table: PriceTable,
                     named_types: list[str] | None = None) -> RegionPrices:
    """The region's prices with today's figures from the AWS Price List API, or the shipped ones."""
    from airhost.aws.pricing import PriceList, queries

    region = env.region or ""
    known = region in table.regions
    base = table.region(region) if known else region_from_reference(table, region)
    instance_types = sorted(set(candidate_types(env, base)) | set(named_types or []))
    stderr.print("asking the AWS Price List API for today's prices...", emoji=False)
    try:
        figures = PriceList.connect().figures(region, queries(instance_types, [env.database.instance_class]))
    except AirhostError as error:
        stderr.print(f"could not refresh prices from the AWS Price List API: {escape(str(error))}",
                     emoji=False)
        stderr.print(f"using the price table shipped with airhost (dated {table.date})", emoji=False)
        return table.region(region)
    if not figures:
        stderr.print("the AWS Price List API returned no usable prices: using the price table shipped "
                     f"with airhost (dated {table.date})", emoji=False)
        return table.region(region)
    stderr.print(f"refreshed {len(figures)} prices from the AWS Price List API", emoji=False)
    today = datetime.now(timezone.utc).date().isoformat()
    return base.with_figures(figures, date=today, source="AWS Price List API (pricing, us-east-1)")


def _label(line: dict) -> str:
    return f"{escape(line['line'])}\n[dim]{escape(line['detail'])}[/dim]"


def _print_table(data: dict) -> None:
    grid = Table(show_edge=False, header_style="bold", title=(
        f"{data['environment']} in {data['region']}: monthly estimate ({data['hours_per_month']} h, USD)"))
    grid.add_column("line")
    grid.add_column("monthly", justify="right")
    grid.add_column("parked", justify="right")
    grid.add_column("MWAA", justify="right")
    for line in data["lines"]:
        grid.add_row(_label(line), _money(line["monthly"]), _money(line["parked"]), _money(line["mwaa"]))
    mwaa = data["mwaa"]
    for line in mwaa["lines"]:
        grid.add_row(_label(line), "", "", _money(line["monthly"]))
    grid.add_section()
    grid.add_row("[bold]total[/bold]", f"[bold]{_money(data['total_monthly'])}[/bold]",
                 f"[bold]{_money(data['parked_monthly'])}[/bold]",
                 f"[bold]{_money(mwaa['total_monthly'])}[/bold]")
    stdout.print(grid, emoji=False)
    savings = data["savings_monthly"]
    verdict = (f"saves {_money(savings)} a month ({data['savings_percent']:g}%)" if savings >= 0
               else f"costs {_money(-savings)} a month more")
    stdout.print(f"\nAgainst Amazon MWAA {mwaa['class']} of equal capacity, this environment {verdict}; "
                 f"parked, it costs {_money(data['parked_monthly'])}.", emoji=False)
    if data.get("scheduled_monthly") is not None:
        stdout.print(f"On its schedule (awake hours running, the rest parked): "
                     f"{_money(data['scheduled_monthly'])} a month, against {_money(data['total_monthly'])} "
                     f"always on and {_money(mwaa['total_monthly'])} for MWAA.", emoji=False)
    if data["total_monthly_at_max"] != data["total_monthly"]:
        stdout.print(f"Every worker at its max all month: {_money(data['total_monthly_at_max'])} "
                     f"(MWAA {_money(mwaa['total_monthly_at_max'])}).", emoji=False)
    options = data.get("egress_options", [])
    if options:
        stdout.print("\nCheaper options (network.egress), the same environment otherwise:", emoji=False)
        for option in options:
            mark = " (this one)" if option["current"] else ""
            scheduled = (f", on its schedule {_money(option['scheduled'])}"
                         if option.get("scheduled") is not None else "")
            stdout.print(f"  {option['egress']}{mark}: {_money(option['monthly'])} a month "
                         f"({option['difference']:+.2f}), parked {_money(option['parked'])} "
                         f"({option['parked_difference']:+.2f}){scheduled} — {option['changes']}"
                         + (f" [refused as configured: {option['refused']}]" if option.get("refused") else ""),
                         emoji=False, markup=False)
    refreshed = " (refreshed from the AWS Price List API)" if data["prices_refreshed"] else ""
    stdout.print(f"Prices: {data['region']}, dated {data['prices_date']}{refreshed}; on-demand list "
                 "prices, assumed volumes as shown. Sources, notes and assumptions: --output json.",
                 style="dim", emoji=False)


@click.command()
@click.argument("environment")
@config_option
@output_option
@click.option("--refresh-prices", is_flag=True,
              help="Read today's prices from the AWS Price List API (falls back to the shipped table).")
def cost(environment: str, config_path: Path, output: str, refresh_prices: bool) -> None:
    """Estimate what ENVIRONMENT costs a month on AWS, running and parked, beside Amazon MWAA.

    Compute per component, database, NAT gateway or VPC endpoints, load balancer, logs and buckets,
    from a dated price table shipped with airhost; volumes that cannot be known in advance are
    assumptions, listed with --output json.
    """
    env = project_from(config_path).environment(environment)
    target = require(env, "cost")
    assert target.estimate is not None
    table = load_price_table()
    named = target.instance_types(env) if target.instance_types else []
    prices = refreshed_prices(env, table, named) if refresh_prices else table.region(env.region or "")
    data = target.estimate(env, prices, Assumptions()).to_json()
    data["egress_options"] = [option.to_json() for option in
                              egress_options(env, prices, Assumptions(), target.estimate)]
    emit(data, output, _print_table)


COMMANDS = [cost]
