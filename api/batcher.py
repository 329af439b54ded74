"""Group commit for HTTP intake: concurrent requests share one event-store transaction.

Commit (fsync) dominates the cost of a write, so one writer thread collects whatever orders
arrive within a few milliseconds (up to a cap), decides them together with `intake_batch` and
commits once. Each request still gets its own answer: its order, its 409 or its 422. Under low
load a batch is one order and the added wait is at most `max_wait_s`.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from concurrent.futures import Future

from domains.crossdock import Crossdock
from domains.orders.intake import Intake, IntakeOutcome

log = logging.getLogger(__name__)


class IntakeBatcher:
    def __init__(self, app: Crossdock, max_batch: int = 100, max_wait_s: float = 0.002) -> None:
        self.app = app
        self.max_batch = max_batch
        self.max_wait_s = max_wait_s
        self._queue: queue.Queue[tuple[Intake, Future] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="intake-batcher", daemon=True)
        self._thread.start()

    def submit(self, item: Intake) -> Future:
        """A future resolving to (IntakeOutcome, notification id), or raising the item's error."""
        future: Future = Future()
        self._queue.put((item, future))
        return future

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            pending = [first]
            deadline = time.monotonic() + self.max_wait_s
            stop = False
            while len(pending) < self.max_batch:
                try:
                    nxt = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    break
                if nxt is None:
                    stop = True
                    break
                pending.append(nxt)
            self._commit(pending)
            if stop:
                return

    def _commit(self, pending: list[tuple[Intake, Future]]) -> None:
        try:
            outcomes, nid = self.app.orders.intake_batch([item for item, _ in pending])
        except Exception as exc:  # the whole transaction failed: every caller hears why
            log.exception("intake batch of %d failed", len(pending))
            for _, future in pending:
                future.set_exception(exc)
            return
        for (_, future), outcome in zip(pending, outcomes, strict=True):
            if outcome.error is not None:
                future.set_exception(outcome.error)
            else:
                future.set_result((outcome, nid))


__all__ = ["IntakeBatcher", "IntakeOutcome"]
