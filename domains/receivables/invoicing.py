"""An invoice for each dispatched shipment of a dealer order.

Per shipment, not per order: what left the dock is what the dealer owes for, and a split
order's second shipment may leave days later (its own issue and due dates). The amount is the
shipment's picked lines at the order's prices, converted into the dealer's currency at the rate
the order's credit review recorded (the rate its credit was committed at), so the credit that
moves from the open order to the invoice is the same money. The due date is the issue date
(the dispatch date, passed in) plus the dealer's payment terms at that moment; the invoice
records the terms and the dealer version they were read from.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from domains.common import CENT
from domains.orders.lifecycle import DELIVERED, DISPATCHED
from domains.orders.model import Order
from domains.ports import FxRates
from domains.receivables.model import DealerAccount, InvoiceBook
from domains.receivables.rules import due_date
from domains.reference.model import Dealer
from domains.store import Store


def shipment_value(order: Order, shipment_no: int) -> Decimal:
    """The shipment's picked units (planned ones if no pick was recorded) at the order's unit
    prices (a SKU on several lines: their average price)."""
    value: dict[str, Decimal] = {}
    units: dict[str, int] = {}
    for line in order.canonical["lines"]:
        value[line["sku"]] = value.get(line["sku"], Decimal("0")) + (
            Decimal(str(line["unit_price"])) * line["quantity"]
        )
        units[line["sku"]] = units.get(line["sku"], 0) + line["quantity"]
    shipped = order.picked_quantities(shipment_no) or {
        ln["sku"]: ln["quantity"] for ln in order.shipment(shipment_no)["lines"]
    }
    return sum((value[s] * q / units[s] for s, q in shipped.items()), Decimal("0"))


def credit_rate(order: Order, dealer: Dealer, fx: FxRates) -> tuple[Decimal, str]:
    """The rate the order's credit review used, or (for an order reviewed before dealers were
    checked) the ECB rate of the day it was placed."""
    for rule in (order.review or {}).get("rules", []):
        if rule["rule"] == "credit":
            return Decimal(rule["inputs"]["fx_rate"]), rule["inputs"]["fx_rate_date"]
    placed = date.fromisoformat(order.canonical["placed_at"][:10])
    rate, on = fx.rate(order.canonical["currency"], dealer.currency, placed)
    return rate, on.isoformat()


def invoice_shipment(
    store: Store, fx: FxRates, order: Order, shipment_no: int, issued_on: date
) -> tuple[str | None, list[Any]]:
    """Records the invoice of a just-dispatched shipment of a dealer order (on the invoice
    book, the dealer's account and the dealer's credit) and answers the aggregates to save
    with the dispatch (and the invoice number); nothing for other orders. Credit on account pays what it can at once."""
    dealer_id = order.dealer_id
    if not dealer_id:
        return None, []
    dealer: Dealer = store.repository.get(Dealer.create_id(dealer_id))
    account = store.get_or_none(DealerAccount.create_id(dealer_id)) or DealerAccount(
        dealer_id, dealer.currency
    )
    book = store.get_or_none(InvoiceBook.create_id()) or InvoiceBook()
    rate, rate_date = credit_rate(order, dealer, fx)
    value = shipment_value(order, shipment_no)
    amount = (value * rate).quantize(CENT)
    number = book.next_number()
    book.issue(number=number, dealer_id=dealer_id, order_id=str(order.id), shipment_no=shipment_no)
    terms = int(dealer.payment_terms_days)
    applied = min(account.credit_on_account, amount)
    account.issue_invoice(
        invoice={
            "number": number,
            "order_id": str(order.id),
            "external_id": order.external_id,
            "shipment_no": shipment_no,
            "amount": str(amount),
            "currency": dealer.currency,
            "order_value": str(value.quantize(CENT)),
            "order_currency": order.canonical["currency"],
            "fx_rate": str(rate),
            "fx_rate_date": rate_date,
            "issued_on": issued_on.isoformat(),
            "due_on": due_date(issued_on, terms).isoformat(),
            "terms_days": terms,
            "dealer_version": dealer.version,
        },
        credit_applied=str(applied),
    )
    dealer.invoice_credit(str(order.id), number, amount, order.status in (DISPATCHED, DELIVERED))
    if applied:
        dealer.repay_credit(number, applied)
    return number, [book, account, dealer]
