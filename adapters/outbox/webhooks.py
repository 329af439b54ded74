"""Signed webhooks: how a body is signed, how a receiver verifies it, and the HTTP sender.

Header `X-Crossdock-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 over "<t>.<body>">` with
the subscription's secret; `X-Crossdock-Event` names the kind, `X-Crossdock-Delivery` the
message id (the same on every retry and replay: receivers de-duplicate on it).
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import threading
from urllib.parse import urlsplit

TOLERANCE_S = 300


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(secret: str, header: str, body: bytes, now: int, tolerance_s: int = TOLERANCE_S) -> bool:
    """What a receiver runs: the HMAC matches and the timestamp is recent (no replays)."""
    try:
        parts = dict(p.split("=", 1) for p in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    expected = signature(secret, timestamp, body).split("v1=", 1)[1]
    fresh = abs(now - timestamp) <= tolerance_s
    return fresh and hmac.compare_digest(expected, parts.get("v1", ""))


class WebhookSender:
    """POSTs with kept-alive connections, one per receiver and thread. Any 2xx is delivered;
    anything else (status, timeout, refused connection) is a failed attempt, described."""

    def __init__(self, timeout_s: float = 5.0) -> None:
        self.timeout_s = timeout_s
        self._local = threading.local()

    def _conn(self, scheme: str, netloc: str) -> http.client.HTTPConnection:
        pool = self._local.__dict__.setdefault("pool", {})
        conn = pool.get((scheme, netloc))
        if conn is None:
            cls = http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
            conn = cls(netloc, timeout=self.timeout_s)
            pool[(scheme, netloc)] = conn
        return conn

    def _drop(self, scheme: str, netloc: str) -> None:
        conn = self._local.__dict__.get("pool", {}).pop((scheme, netloc), None)
        if conn is not None:
            conn.close()

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> tuple[bool, str]:
        parts = urlsplit(url)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        try:
            conn = self._conn(parts.scheme, parts.netloc)
            conn.request("POST", path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            if response.will_close:
                self._drop(parts.scheme, parts.netloc)
        except (OSError, http.client.HTTPException) as exc:
            self._drop(parts.scheme, parts.netloc)
            return False, f"{type(exc).__name__}: {exc}"[:300]
        return 200 <= response.status < 300, f"HTTP {response.status}"

    def close(self) -> None:
        for conn in self._local.__dict__.get("pool", {}).values():
            conn.close()
        self._local = threading.local()
