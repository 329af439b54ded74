"""Receivables reads and the credit-limit decision: a dealer's account, the payments waiting
for a person, ageing per dealer as of a date, and the suggested limit an admin accepts or
rejects. Mixed into `ReceivablesUseCases` (domains/receivables/application.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from domains.common import CENT, InvalidTransition, NotFound
from domains.receivables.model import DealerAccount, Suspense
from domains.receivables.rules import ageing, suggest_limit
from domains.reference.application import ReferenceUseCases
from domains.reference.model import Dealer
from domains.store import Store, Touched


class ReceivablesReports:
    store: Store
    reference: ReferenceUseCases

    def _account_or_empty(self, dealer: Dealer) -> DealerAccount:
        account = self.store.get_or_none(DealerAccount.create_id(dealer.code))
        return account if account is not None else DealerAccount(dealer.code, dealer.currency)

    def account(self, dealer_id: str) -> dict[str, Any]:
        """The dealer's invoices (oldest first), payments, credit on account and credit use."""
        dealer = self.reference.get_dealer(dealer_id)
        account = self._account_or_empty(dealer)
        invoices = sorted(account.invoices.values(), key=lambda i: (i["issued_on"], i["number"]))
        return {
            "dealer_id": dealer_id,
            "currency": dealer.currency,
            "payment_terms_days": dealer.payment_terms_days,
            "credit_limit": str(dealer.credit_limit),
            "credit_in_use": str(dealer.credit_in_use),
            "unpaid_balance_brought_in": str(dealer.unpaid_balance),
            "unpaid_invoices": str(dealer.open_invoices_total),
            "open_orders": str(dealer.open_orders_total),
            "credit_on_account": str(account.credit_on_account.quantize(CENT)),
            "invoices": [
                dict(inv, unpaid=str(Decimal(inv["amount"]) - Decimal(inv["paid"])))
                for inv in invoices
            ],
            "payments": account.payments,
            "limit_decisions": account.limit_decisions,
        }

    def unmatched_payments(self) -> list[dict[str, Any]]:
        suspense = self.store.get_or_none(Suspense.create_id())
        waiting = suspense.waiting if suspense is not None else {}
        return [dict(line, payment_id=pid) for pid, line in waiting.items()]

    def ageing(self, as_of: date) -> dict[str, Any]:
        """Per dealer, what is unpaid as of `as_of` by days past due (current, 1-30, 31-60,
        61-90, 90+), in the dealer's currency; dealers never invoiced are left out."""
        dealers = []
        for code in sorted(self.reference.latest()["dealers"]):
            account = self.store.get_or_none(DealerAccount.create_id(code))
            if account is None or not account.invoices:
                continue
            report = ageing(list(account.invoices.values()), as_of)
            dealers.append(dict(report, dealer_id=code, currency=account.currency))
        return {"as_of": as_of.isoformat(), "dealers": dealers}

    def limit_suggestion(self, dealer_id: str, as_of: date) -> dict[str, Any]:
        dealer = self.reference.get_dealer(dealer_id)
        account = self._account_or_empty(dealer)
        suggestion = suggest_limit(
            dealer.credit_limit, dealer.credit_in_use, list(account.invoices.values()), as_of
        )
        return dict(suggestion, dealer_id=dealer_id, dealer_version=dealer.version)

    def decide_limit(
        self, dealer_id: str, as_of: date, accept: bool, decided_by: str, reason: str
    ) -> tuple[dict[str, Any], int]:
        """An admin accepts (the dealer's limit is revised to the suggestion) or rejects the
        suggestion as of `as_of`, decided again now; recorded on the dealer's account with who
        and why, in the same transaction as the dealer's revision."""
        if not reason.strip():
            raise InvalidTransition("a credit-limit decision needs a reason")

        def step(touched: Touched) -> dict[str, Any]:
            suggestion = self.limit_suggestion(dealer_id, as_of)
            dealer = self.store.get_or_none(Dealer.create_id(dealer_id))
            if dealer is None:
                raise NotFound("dealer", dealer_id)
            account = self._account_or_empty(dealer)
            decision = "accepted" if accept else "rejected"
            account.decide_limit(
                suggestion=suggestion, decision=decision, decided_by=decided_by, reason=reason
            )
            touched[account.id] = account
            new_limit = Decimal(suggestion["suggested_limit"])
            if accept and new_limit != dealer.credit_limit:
                dealer.revise({"credit_limit": new_limit})
                touched[dealer.id] = dealer
            return {
                "decision": decision,
                "credit_limit": str(dealer.credit_limit),
                "dealer_version": dealer.version,
                "suggestion": suggestion,
            }

        answer, nid = self.store.retry(step)
        if answer["decision"] == "accepted":
            self.reference.invalidate()
        return answer, nid
