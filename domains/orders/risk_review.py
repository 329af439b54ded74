"""The risk rules' place in the review: gathers an order's risk facts inside an intake batch
(its identity, value in EUR, the history) and decides (domains/orders/risk.py). Every path that
reviews an order (intake, an admin release, a re-examination for stock or credit) goes through
here, so a risk hold is lifted only by a person.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from domains.common import ValidationFailed
from domains.orders.model import Order
from domains.orders.risk import (
    DEFAULT_SETTINGS,
    AnomalyModel,
    Forwarders,
    RiskFacts,
    RiskIdentity,
    assess,
    identify,
)
from domains.orders.risk_history import RiskHistory, RiskSettings, Seen, merged_settings
from domains.ports import FxRates
from domains.privacy.policies import identity
from domains.privacy.sealing import PersonalData
from domains.store import Store, Touched


def placed_at(canonical: dict[str, Any], fallback: str) -> datetime:
    """When the order was placed (the channel's time; the batch's clock reading without one)."""
    try:
        at = datetime.fromisoformat(str(canonical.get("placed_at") or fallback))
    except ValueError:
        at = datetime.fromisoformat(fallback)
    return at if at.tzinfo else at.replace(tzinfo=UTC)


@dataclass
class RiskReview:
    fx: FxRates
    personal: PersonalData
    history: RiskHistory = field(default_factory=RiskHistory)
    model: AnomalyModel | None = None
    forwarders: Forwarders | None = None
    _rates: dict[tuple[str, date], Decimal] = field(default_factory=dict)

    def screens(self, batch: Any, channel: str) -> bool:
        """Whether the channel's orders are screened (not exempt in the batch's settings)."""
        return channel not in batch.risk_settings().settings["exempt_channels"]

    def identify(
        self, channel: str, canonical: dict[str, Any], raw: Any, subject: str | None = None
    ) -> RiskIdentity:
        """From the plaintext order (intake has it before sealing, and its subject id)."""
        keys = self.personal.keys
        if identity(channel, canonical)[0] == "order":  # no e-mail or phone: nobody we know
            subject = None
        else:
            subject = subject or self.personal.subject(channel, canonical)
        return identify(
            keys.subject_id if keys else None,
            subject,
            canonical,
            raw,
            self.forwarders,
        )

    def identify_stored(self, order: Order) -> RiskIdentity:
        """From a stored order, opened (an erased person's order has no address history)."""
        canonical = self.personal.canonical(order.canonical)
        return self.identify(order.channel, canonical, self.personal.raw(order.raw_payload))

    def eur(self, currency: str, on: date) -> Decimal:
        key = (currency, on)
        if key not in self._rates:
            self._rates[key] = (
                Decimal(1) if currency == "EUR" else self.fx.rate(currency, "EUR", on)[0]
            )
        return self._rates[key]

    def decide(
        self,
        batch: Any,
        order: Order,
        merged: dict[str, int],
        identity: RiskIdentity | None,
    ) -> dict[str, Any] | None:
        """The review's `risk` rule, or None for an exempt channel. The order joins the
        batch's pending history (remembered once the batch is saved)."""
        settings: RiskSettings = batch.risk_settings()
        s = settings.settings
        if order.channel in s["exempt_channels"]:
            return None
        identity = identity or self.identify_stored(order)
        c = order.canonical
        at = placed_at(c, batch.held_at)
        value = float(order.total * self.eur(str(c.get("currency") or "EUR"), at.date()))
        me = Seen(
            order.id, at, identity.customer, identity.address, order.channel, value,
            max(merged.values(), default=0),
        )  # fmt: skip
        history = self.history.facts(me, batch.risk_pending, s["thresholds"]["address_days"])
        batch.risk_pending.append(me)
        facts = RiskFacts(
            channel=order.channel,
            value_eur=value,
            max_quantity=me.max_quantity,
            lines=len(merged),
            identity=identity,
            history=history,
            ship_country=c["ship_to"]["country"],
        )
        return assess(facts, s, settings.published_version, self.model)


class RiskSettingsUseCases:
    """Mixed into `OrderUseCases`: read and publish the risk rules' settings."""

    store: Store

    def risk_settings(self) -> RiskSettings:
        found = self.store.get_or_none(RiskSettings.create_id())
        return found if found is not None else RiskSettings(DEFAULT_SETTINGS)

    def set_risk_settings(
        self, given: dict[str, Any], published_by: str, note: str
    ) -> tuple[RiskSettings, int]:
        """Publishes weights, thresholds and the hold score over the defaults (422 for an
        unknown key); each later review cites the new version."""
        try:
            settings = merged_settings(DEFAULT_SETTINGS, given)
        except ValueError as exc:
            raise ValidationFailed([{"loc": "settings", "msg": str(exc)}]) from None

        def attempt(touched: Touched) -> RiskSettings:
            current = self.risk_settings()
            current.publish(settings=settings, published_by=published_by, note=note)
            touched[current.id] = current
            return current

        return self.store.retry(attempt)
