"""Languages of the pages: gettext catalogues read from .po files at start-up, and Babel's
per-locale formatting of dates, numbers and money.

Catalogues live in api/pages/locales/<lang>/LC_MESSAGES/<domain>.po, one gettext domain per page
area ("pages" for the layout and sign-in, "customs", "finance", "dashboard"), so each area owns its
files. They are read with `babel.messages.pofile.read_po` when first needed (no compiled .mo in the
repository, no build step); a message missing from an area's domain falls back to "pages", then
to the English message id. Extract new messages with
`pybabel extract -F api/pages/babel.cfg -o /tmp/<domain>.pot api/pages/templates/<area>` and merge
them into the .po files (`pybabel update -D <domain> -i ... -d api/pages/locales`).

The language is the `crossdock_lang` cookie (the switch in the layout) when set, else the best
match of the browser's Accept-Language, else English.
"""

from __future__ import annotations

import gettext
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any

from babel import Locale, dates, numbers
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES_DIR = Path(__file__).parent / "locales"
LANGUAGES = {"en": "English", "es": "Español", "ar": "العربية"}
DEFAULT = "en"
LANG_COOKIE = "crossdock_lang"
SHARED_DOMAIN = "pages"


@cache
def catalogue(lang: str, domain: str) -> gettext.NullTranslations:
    """The translations of one domain in one language (an empty one when there is no file)."""
    path = LOCALES_DIR / lang / "LC_MESSAGES" / f"{domain}.po"
    if not path.exists():
        return gettext.NullTranslations()
    with path.open("rb") as f:
        cat = read_po(f, locale=lang, domain=domain)
    buffer = BytesIO()
    write_mo(buffer, cat)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


class Translator:
    """`_` in templates: the area's domain, then the shared one, then the message id."""

    def __init__(self, lang: str, domain: str) -> None:
        self.lang = lang
        self._chain = [catalogue(lang, domain)]
        if domain != SHARED_DOMAIN:
            self._chain.append(catalogue(lang, SHARED_DOMAIN))

    def __call__(self, message: str, **values: Any) -> str:
        text = message
        for cat in self._chain:
            found = cat.gettext(message)
            if found != message:
                text = found
                break
        return text % values if values else text


def negotiate(cookie: str | None, accept_language: str | None) -> str:
    if cookie in LANGUAGES:
        return cookie  # type: ignore[return-value]
    wanted = []
    for part in (accept_language or "").split(","):
        tag, _, q = part.strip().partition(";q=")
        if tag:
            try:
                wanted.append((float(q or 1), tag.replace("-", "_")))
            except ValueError:
                continue
    preferred = [tag for _, tag in sorted(wanted, key=lambda w: -w[0])]
    found = Locale.negotiate(preferred, list(LANGUAGES), sep="_") if preferred else None
    return str(found.language) if found is not None else DEFAULT


def direction(lang: str) -> str:
    return "rtl" if Locale.parse(lang).character_order == "right-to-left" else "ltr"


@cache
def _locale(lang: str) -> Locale:
    return Locale.parse(lang)


class Formatter:
    """`fmt` in templates: dates, times (UTC), numbers, money and shares in the page's locale."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        # Babel parses a locale given by name on every call (~70 us): parsed once per page.
        self.locale = _locale(lang)

    def date(self, value: date | str | None) -> str:
        if value in (None, ""):
            return ""
        if isinstance(value, str):
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return dates.format_date(value, format="medium", locale=self.locale)

    def datetime(self, value: datetime | str | None) -> str:
        if value in (None, ""):
            return ""
        if isinstance(value, str):
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return dates.format_datetime(value, format="short", tzinfo=dates.UTC, locale=self.locale)

    def number(self, value: Any, digits: int | None = None) -> str:
        if value in (None, ""):
            return ""
        amount = Decimal(str(value))
        if digits is None:
            return numbers.format_decimal(amount, locale=self.locale)
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        return numbers.format_decimal(amount, format=pattern, locale=self.locale)

    def money(self, amount: Any, currency: str | None) -> str:
        if amount in (None, ""):
            return ""
        if not currency:
            return self.number(amount, 2)
        return numbers.format_currency(Decimal(str(amount)), currency, locale=self.locale)

    def percent(self, fraction: Any, digits: int = 1) -> str:
        if fraction in (None, ""):
            return ""
        pattern = "#,##0" + ("." + "0" * digits if digits else "") + "%"
        return numbers.format_percent(Decimal(str(fraction)), format=pattern, locale=self.locale)
