"""The logistics health metrics: what each one means, in words and as a formula, its unit, which
way is better, where its data comes from and which filters apply to it.

A metric whose data the project does not record says so (`available` False): the dashboard
shows "no data" for it rather than a number made up from something else.
"""

from __future__ import annotations

from dataclasses import dataclass

ALL_FILTERS = ("warehouse", "channel", "carrier", "destination")


@dataclass(frozen=True)
class Metric:
    key: str
    name: str
    definition: str
    formula: str
    unit: str  # hours, days, ratio, times, money (in the base currency)
    better: str  # "lower" or "higher": how a value compares with its target
    source: str
    filters: tuple[str, ...] = ALL_FILTERS
    available: bool = True


METRICS: tuple[Metric, ...] = (
    Metric(
        "order_processing_time",
        "Order processing time",
        "How long a parcel waits in our hands: from the order's arrival (its Received event) "
        "to the parcel's dispatch. The value is the median; p90 is shown beside it.",
        "median(dispatched_at - order received_at) over parcels dispatched in the period",
        "hours",
        "lower",
        "order list view (received) and shipments view (dispatched)",
    ),
    Metric(
        "inventory_turnover",
        "Inventory turnover",
        "How many times the stock on hand was shipped out over the period. Stock has no "
        "channel, carrier or destination: only the warehouse filter applies.",
        "units shipped / average units on hand (end-of-day balances over the period's days)",
        "times",
        "higher",
        "shipments view (units dispatched) and stock movements per day (Inventory events)",
        filters=("warehouse",),
    ),
    Metric(
        "time_in_transit",
        "Time in transit",
        "How long the carrier takes: from dispatch to the delivery scan. Median; p90 beside it.",
        "median(delivered_at - dispatched_at) over parcels delivered in the period",
        "days",
        "lower",
        "shipments view (dispatch and delivery scans)",
    ),
    Metric(
        "cost_per_parcel",
        "Cost per parcel",
        "What a parcel costs us on the cost ledger: freight as quoted on its label, duties and "
        "import VAT we pay (DDP), warehouse handling; in the base currency at the ECB rate of "
        "its day.",
        "sum(ledger cost of parcels costed in the period) / number of those parcels",
        "money",
        "lower",
        "settlement cost ledger (labels, declarations, handling rates)",
    ),
    Metric(
        "storage_and_customs_agent_cost_share",
        "Storage and customs-agent costs as a share of sales",
        "Warehouse storage fees and customs agents' (brokers') fees are not recorded anywhere "
        "in Crossdock yet: no storage invoices, no broker bills. Shown as no data until they "
        "are.",
        "(storage fees + customs-agent fees) / sales",
        "ratio",
        "lower",
        "not recorded",
        available=False,
    ),
    Metric(
        "logistics_cost_share",
        "Logistics cost as a share of sales",
        "The logistics cost of the parcels costed in the period (freight, DDP duties and VAT, "
        "handling) plus return costs less carrier claims paid on those orders, over what the "
        "buyers paid for those orders (the channel's total).",
        "(parcel costs + return costs - claim credits) / sum(order totals)",
        "ratio",
        "lower",
        "settlement cost ledger, ledger entries (returns, claims), order amounts.total",
    ),
    Metric(
        "customs_delay_rate",
        "Customs delay rate",
        "Of the parcels' declarations submitted to customs in the period, the share held, "
        "cleared more than 48 hours after submission, or still waiting more than 48 hours at "
        "the period's end.",
        "declarations (held or cleared after > 48 h or waiting > 48 h) / declarations submitted",
        "ratio",
        "lower",
        "customs declarations view and clearance times (ClearanceUpdated events)",
    ),
    Metric(
        "loss_rate",
        "Loss rate",
        "Of the parcels dispatched in the period, the share with a carrier claim for a lost "
        "parcel.",
        "parcels with a lost claim / parcels dispatched",
        "ratio",
        "lower",
        "claims view (kind lost) and shipments view",
    ),
    Metric(
        "return_rate",
        "Complaint / return rate",
        "Returns opened against the parcels delivered in the period, per parcel delivered.",
        "returns on parcels delivered in the period / parcels delivered",
        "ratio",
        "lower",
        "returns view and shipments view",
    ),
    Metric(
        "carrier_on_time_rate",
        "Carrier on-time rate",
        "Of the parcels delivered in the period, the share delivered on or before the ETA "
        "given at dispatch (as the carrier scorecards count it).",
        "parcels delivered by their ETA / parcels delivered",
        "ratio",
        "higher",
        "shipments view (ETA, delivery scan)",
    ),
    Metric(
        "carrier_exception_rate",
        "Carrier exception rate",
        "Of the parcels dispatched in the period, the share with an exception: an SLA alert, "
        "a hold, or a failed, delayed or returned-to-sender scan (as the scorecards count it).",
        "parcels with an exception / parcels dispatched",
        "ratio",
        "lower",
        "shipments view (alerts, tracking status)",
    ),
)

BY_KEY = {m.key: m for m in METRICS}
