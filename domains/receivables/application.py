"""Receivables use cases: invoices at dispatch, payments (recorded or from a bank statement),
the payments nobody could place, ageing and the credit-limit suggestion.

A payment pays invoices and frees the dealer's credit in ONE transaction (payment, account,
dealer). After that commit, the dealer's orders held over its limit are decided again
(domains/orders/credit_holds.py), oldest first, without anyone releasing them.
"""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal
from typing import Any

from domains.common import CENT, NotFound, ValidationFailed
from domains.orders.application import OrderUseCases
from domains.orders.model import Order
from domains.ports import FxRates
from domains.receivables.invoicing import invoice_shipment
from domains.receivables.model import DealerAccount, InvoiceBook, Payment, Suspense
from domains.receivables.ports import CreditHolds, StatementParser
from domains.receivables.reports import ReceivablesReports
from domains.receivables.rules import allocate, invoice_numbers_in, line_key
from domains.reference.application import ReferenceUseCases
from domains.reference.model import Dealer
from domains.store import Store, Touched


def _norm(text: str | None) -> str:
    return " ".join((text or "").replace(" ", " ").split()).casefold()


class ReceivablesUseCases(ReceivablesReports):
    def __init__(
        self,
        store: Store,
        reference: ReferenceUseCases,
        orders: OrderUseCases,
        *,
        fx: FxRates,
        holds: CreditHolds,
        statements: StatementParser,
    ) -> None:
        self.store = store
        self.reference = reference
        self.orders = orders
        self.fx = fx
        self.holds = holds
        self.statements = statements

    # ------------------------------------------------------------------ invoices
    def invoice_shipment(
        self, order: Order, shipment_no: int, issued_on: date
    ) -> tuple[str | None, list[Any]]:
        """What transport's dispatch saves with the order (domains/receivables/invoicing.py)."""
        return invoice_shipment(self.store, self.fx, order, shipment_no, issued_on)

    def credit_freed(self, dealer_id: str, trigger: dict[str, Any]) -> dict[str, Any]:
        """After a commit that freed the dealer's credit: its held orders, decided again."""
        held = self.holds.held_over_credit(dealer_id)
        if not held:
            return {"examined": [], "allocated": [], "still_held": []}
        return self.orders.reexamine_credit_holds(held, trigger)

    # ------------------------------------------------------------------ payments
    def record_payment(
        self,
        dealer_id: str,
        amount: Decimal,
        currency: str,
        received_on: date,
        reference: str,
        invoices: list[str] | None,
        recorded_by: str,
    ) -> tuple[dict[str, Any], int]:
        """A payment a person records: the invoices named (else those quoted in the reference,
        else the oldest open ones). The same payment recorded again (dealer, date, amount,
        currency, reference) is answered as a repeat and pays nothing."""
        dealer = self.reference.get_dealer(dealer_id)
        if currency != dealer.currency:
            raise ValidationFailed(
                [{"loc": "currency", "msg": f"dealer {dealer_id} pays in {dealer.currency}"}]
            )
        named = [n.strip().upper() for n in invoices or []]
        book = self.store.get_or_none(InvoiceBook.create_id())
        unknown = [n for n in named if book is None or book.issued.get(n) != dealer_id]
        if unknown:
            raise ValidationFailed(
                [
                    {"loc": f"invoices[{named.index(n)}]", "msg": f"no invoice {n} of {dealer_id}"}
                    for n in unknown
                ]
            )
        line = {
            "booked_on": received_on.isoformat(),
            "amount": str(amount),
            "currency": currency,
            "reference": reference,
            "counterparty": dealer.name,
            "iban": None,
        }
        facts = f"{dealer_id}|{line['booked_on']}|{amount}|{currency}|{reference}"
        key = "recorded-" + hashlib.sha256(facts.encode()).hexdigest()[:32]
        quoted = named or invoice_numbers_in(reference)
        matched_by = "invoice_named" if named else ("invoice_reference" if quoted else "oldest")

        def step(touched: Touched) -> dict[str, Any]:
            if self.store.get_or_none(Payment.create_id(key)) is not None:
                return {"payment_id": key, "repeat": True, "allocations": [], "to_credit": "0"}
            payment = Payment(key=key, line=line, source=f"recorded by {recorded_by}")
            return self._apply(touched, payment, dealer_id, quoted, matched_by)

        answer, nid = self.store.retry(step)
        self._after(answer, dealer_id)
        return answer, nid

    def record_statement(self, data: bytes, uploaded_by: str) -> tuple[dict[str, Any], int]:
        """A bank statement (CSV): each credit line becomes a payment, matched by the invoice
        numbers in its reference text, else by its counterparty (IBAN, then name) to the
        dealer's oldest open invoices; what matches nobody waits for a person. All lines in
        one transaction; a line already recorded (this statement or an overlapping one)
        is skipped, so a statement uploaded twice pays once."""
        lines = self.statements(data)
        seen: dict[str, int] = {}
        keyed = []
        for line in lines:
            facts = line_key(line, 0)
            seen[facts] = seen.get(facts, -1) + 1
            keyed.append((line_key(line, seen[facts]), line))

        def step(touched: Touched) -> dict[str, Any]:
            out: dict[str, Any] = {"lines": [], "applied": 0, "unmatched": 0, "repeats": 0}
            for key, line in keyed:
                out["lines"].append(self._statement_line(touched, key, line, uploaded_by, out))
            return out

        answer, nid = self.store.retry(step)
        freed = {ln["dealer_id"] for ln in answer["lines"] if ln.get("allocations")}
        answer["released"] = {
            d: self.credit_freed(d, {"kind": "payment", "source": "bank statement"})
            for d in sorted(freed)
        }
        return answer, nid

    def _statement_line(
        self, touched: Touched, key: str, line: dict[str, Any], by: str, out: dict[str, Any]
    ) -> dict[str, Any]:
        where = {"line": line["line"], "payment_id": key}
        if Decimal(line["amount"]) <= 0:
            return dict(where, outcome="skipped", reason="not money received")
        pid = Payment.create_id(key)
        if pid in touched or self.store.get_or_none(pid) is not None:
            out["repeats"] += 1
            return dict(where, outcome="repeat")
        fields = ("booked_on", "amount", "currency", "reference", "counterparty", "iban")
        payment = Payment(key=key, line={k: line.get(k) for k in fields}, source=f"statement:{by}")
        dealer_id, quoted, matched_by, why = self._whose(line, touched)
        if dealer_id is not None:
            account = self._account(touched, dealer_id)
            if account.currency != line["currency"]:
                dealer_id, why = None, f"in {line['currency']}; {account.currency} expected"
        if dealer_id is None:
            self._park(touched, payment, why)
            out["unmatched"] += 1
            return dict(where, outcome="unmatched", reason=why)
        answer = self._apply(touched, payment, dealer_id, quoted, matched_by)
        out["applied"] += 1
        return dict(where, outcome="applied", **answer)

    def _whose(
        self, line: dict[str, Any], touched: Touched
    ) -> tuple[str | None, list[str], str, str]:
        """(dealer, invoices quoted, matched by, why not) for a statement line."""
        quoted = invoice_numbers_in(line.get("reference") or "")
        book = touched.get(InvoiceBook.create_id()) or self.store.get_or_none(
            InvoiceBook.create_id()
        )
        issued = book.issued if book is not None else {}
        owners = {issued[n] for n in quoted if n in issued}
        if len(owners) == 1:
            return owners.pop(), [n for n in quoted if n in issued], "invoice_reference", ""
        if len(owners) > 1:
            return None, [], "", "invoice numbers of several dealers: " + ", ".join(quoted)
        iban = (line.get("iban") or "").replace(" ", "").upper()
        name = _norm(line.get("counterparty"))
        for code in self.reference.latest()["dealers"]:
            dealer = self._dealer(touched, code)
            if (iban and dealer.iban == iban) or (name and _norm(dealer.name) == name):
                return code, [], "counterparty", ""
        return None, [], "", "no invoice number or known counterparty"

    def _park(self, touched: Touched, payment: Payment, why: str) -> None:
        payment.leave_unmatched(reason=why)
        suspense = self._suspense(touched)
        suspense.park(payment_id=payment.key, line=payment.line, reason=why)
        touched[payment.id] = payment
        touched[suspense.id] = suspense

    def assign_payment(
        self, payment_id: str, dealer_id: str, assigned_by: str, note: str
    ) -> tuple[dict[str, Any], int]:
        """A person says whose an unmatched payment is; it then pays as if it had matched
        (invoices quoted in its reference first, else the oldest open ones)."""
        dealer = self.reference.get_dealer(dealer_id)

        def step(touched: Touched) -> dict[str, Any]:
            payment = self.store.get_or_none(Payment.create_id(payment_id))
            if payment is None:
                raise NotFound("payment", payment_id)
            if payment.line["currency"] != dealer.currency:
                raise ValidationFailed(
                    [{"loc": "dealer_id", "msg": f"{dealer_id} pays in {dealer.currency}"}]
                )
            payment.assign(dealer_id=dealer_id, assigned_by=assigned_by, note=note)
            suspense = self._suspense(touched)
            suspense.clear(payment_id=payment_id, dealer_id=dealer_id)
            touched[suspense.id] = suspense
            quoted = invoice_numbers_in(payment.line.get("reference") or "")
            return self._apply(touched, payment, dealer_id, quoted, "assigned")

        answer, nid = self.store.retry(step)
        self._after(answer, dealer_id)
        return answer, nid

    # ------------------------------------------------------------------ the one way to pay
    def _apply(
        self,
        touched: Touched,
        payment: Payment,
        dealer_id: str,
        quoted: list[str],
        matched_by: str,
    ) -> dict[str, Any]:
        """Pays the quoted invoices (oldest first), or without any quoted the oldest open
        ones; the rest becomes credit on account. Frees the dealer's credit as it goes."""
        account = self._account(touched, dealer_id)
        dealer = self._dealer(touched, dealer_id)
        wanted = [n for n in account.open_invoices() if not quoted or n in quoted]
        amount = Decimal(payment.line["amount"])
        allocations, left = allocate(amount, [(n, account.unpaid(n)) for n in wanted])
        account.apply_payment(
            payment_id=payment.key,
            received_on=payment.line["booked_on"],
            amount=str(amount),
            allocations=allocations,
            to_credit=str(left),
            matched_by=matched_by,
        )
        for a in allocations:
            dealer.repay_credit(a["invoice"], Decimal(a["amount"]))
        payment.match(
            dealer_id=dealer_id, matched_by=matched_by, invoices=[a["invoice"] for a in allocations]
        )
        for aggregate in (payment, account, dealer):
            touched[aggregate.id] = aggregate
        return {
            "payment_id": payment.key,
            "dealer_id": dealer_id,
            "matched_by": matched_by,
            "allocations": allocations,
            "to_credit": str(left),
            "credit_on_account": str(account.credit_on_account.quantize(CENT)),
        }

    def _after(self, answer: dict[str, Any], dealer_id: str) -> None:
        if answer.get("allocations"):
            trigger = {"kind": "payment", "payment_id": answer["payment_id"]}
            answer["released"] = self.credit_freed(dealer_id, trigger)

    # ------------------------------------------------------------------ reads within a step
    def _account(self, touched: Touched, dealer_id: str) -> DealerAccount:
        aid = DealerAccount.create_id(dealer_id)
        if aid not in touched:
            account = self.store.get_or_none(aid)
            if account is None:
                account = DealerAccount(dealer_id, self._dealer(touched, dealer_id).currency)
            touched[aid] = account
        return touched[aid]  # type: ignore[no-any-return]

    def _dealer(self, touched: Touched, dealer_id: str) -> Dealer:
        did = Dealer.create_id(dealer_id)
        if did in touched:
            return touched[did]  # type: ignore[no-any-return]
        dealer = self.store.get_or_none(did)
        if dealer is None:
            raise NotFound("dealer", dealer_id)
        return dealer  # type: ignore[no-any-return]

    def _suspense(self, touched: Touched) -> Suspense:
        sid = Suspense.create_id()
        if sid not in touched:
            touched[sid] = self.store.get_or_none(sid) or Suspense()
        return touched[sid]  # type: ignore[no-any-return]
