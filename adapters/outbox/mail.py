"""Buyer and customs-team e-mails: Jinja2 templates per language, dates by Babel, sent over
SMTP (smtplib).

Settings (environment): CROSSDOCK_SMTP_HOST (no host: no e-mails are queued),
CROSSDOCK_SMTP_PORT (25), CROSSDOCK_SMTP_FROM (crossdock@localhost), CROSSDOCK_SMTP_USER and
CROSSDOCK_SMTP_PASSWORD (login when set), CROSSDOCK_SMTP_STARTTLS (1: STARTTLS before login),
CROSSDOCK_CUSTOMS_TEAM_EMAIL (where customs holds over 48 h are reported).

A template's first line is `Subject: ...`, then a blank line, then the text.
"""

from __future__ import annotations

import os
import smtplib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from babel.dates import format_date
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from adapters.outbox.shapes import carrier_name, tracking_url

TEMPLATES = Path(__file__).parent / "templates"
_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    undefined=StrictUndefined,
    autoescape=False,  # noqa: S701 - plain-text e-mails, not HTML
    keep_trailing_newline=True,
)


def _date(value: str | None, language: str) -> str:
    if not value:
        return ""
    return format_date(datetime.fromisoformat(value).date(), format="long", locale=language)


def render(template: str, language: str, data: dict[str, Any], name: str | None) -> tuple[str, str]:
    """(subject, text) of one e-mail."""
    context = {
        **data,
        "name": name,
        "carrier_name": carrier_name(data.get("carrier")),
        "tracking_url": tracking_url(data) if data.get("tracking_number") else "",
        "eta_text": _date(data.get("eta"), language),
        "new_eta_text": _date(data.get("new_eta"), language),
        "occurred_text": _date(data.get("occurred_at"), language),
    }
    text = _env.get_template(f"{language}/{template}.txt").render(**context)
    head, _, body = text.partition("\n\n")
    return head.removeprefix("Subject:").strip(), body


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 25
    sender: str = "crossdock@localhost"
    user: str | None = None
    password: str | None = None
    starttls: bool = False
    customs_team: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SmtpSettings | None:
        env = os.environ if env is None else env
        host = env.get("CROSSDOCK_SMTP_HOST")
        if not host:
            return None
        return cls(
            host=host,
            port=int(env.get("CROSSDOCK_SMTP_PORT", "25")),
            sender=env.get("CROSSDOCK_SMTP_FROM", "crossdock@localhost"),
            user=env.get("CROSSDOCK_SMTP_USER") or None,
            password=env.get("CROSSDOCK_SMTP_PASSWORD") or None,
            starttls=env.get("CROSSDOCK_SMTP_STARTTLS", "0") == "1",
            customs_team=env.get("CROSSDOCK_CUSTOMS_TEAM_EMAIL") or None,
        )


class SmtpMailer:
    """One SMTP session per delivery pass (opened on the first e-mail, closed by `close`)."""

    def __init__(self, settings: SmtpSettings, timeout_s: float = 10.0) -> None:
        self.settings = settings
        self.timeout_s = timeout_s
        self._smtp: smtplib.SMTP | None = None

    def _session(self) -> smtplib.SMTP:
        if self._smtp is None:
            s = self.settings
            smtp = smtplib.SMTP(s.host, s.port, timeout=self.timeout_s)
            if s.starttls:
                smtp.starttls()
            if s.user and s.password:
                smtp.login(s.user, s.password)
            self._smtp = smtp
        return self._smtp

    def send(self, to: str, subject: str, text: str, message_id: str) -> tuple[bool, str]:
        msg = EmailMessage()
        msg["From"] = self.settings.sender
        msg["To"] = to
        msg["Subject"] = subject
        msg["X-Crossdock-Delivery"] = message_id
        msg.set_content(text)
        try:
            self._session().send_message(msg)
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            return False, f"{type(exc).__name__}: {exc}"[:300]
        return True, "sent"

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (OSError, smtplib.SMTPException):
                pass
            self._smtp = None
