"""When a failed delivery is tried again: exponential back-off with jitter, then dead letters.

Pure: the random draw comes in as a number in [0, 1), so tests choose it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 8
    base_s: float = 30.0
    cap_s: float = 3600.0

    def delay(self, attempt: int, draw: float) -> timedelta:
        """The wait after failed attempt `attempt` (1-based): base * 2^(attempt-1), capped, of
        which a random half is taken off ("equal jitter"), so receivers coming back are not
        hit by every sender at once."""
        full = min(self.cap_s, self.base_s * 2 ** (attempt - 1))
        return timedelta(seconds=full / 2 + full / 2 * draw)

    def after_failure(self, attempts: int, now: datetime, draw: float) -> datetime | None:
        """When to try again after `attempts` failed attempts; None: dead-letter it."""
        if attempts >= self.max_attempts:
            return None
        return now + self.delay(attempts, draw)

    def schedule(self) -> list[tuple[float, float]]:
        """(shortest, longest) wait in seconds after each failed attempt but the last."""
        return [
            (self.delay(n, 0.0).total_seconds(), self.delay(n, 1.0).total_seconds())
            for n in range(1, self.max_attempts)
        ]
