"""What an environment costs a month on AWS, beside Amazon MWAA of equal capacity.

Pure: the estimate reads the environment, its rendered templates and a price table shipped with
airhost (``prices.json``: dated, sourced, per region); nothing here touches the network. Refreshing
prices from the AWS Price List API lives in ``airhost.aws.pricing`` and only replaces figures.
"""

from airhost.cost.estimate import Assumptions, Estimate, Line, estimate
from airhost.cost.mwaa import choose_class
from airhost.cost.prices import CostError, PriceTable, RegionPrices, load_price_table, region_from_reference

__all__ = ["Assumptions", "CostError", "Estimate", "Line", "PriceTable", "RegionPrices",
           "choose_class", "estimate", "load_price_table", "region_from_reference"]
