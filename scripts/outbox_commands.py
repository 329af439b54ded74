"""`crossdock outbox`: the outbox worker (confirmations to the channels, buyers' e-mails), and
`crossdock outbox-replay` for dead letters. Settings: adapters/outbox/worker.py and mail.py.

On PostgreSQL one worker per store is active at a time (the relay's advisory lock, under the
name "outbox"); a second one waits as a hot standby.
"""

from __future__ import annotations

import typer

from scripts.kafka_commands import _logging, _stop_on_signals


def register(cli: typer.Typer) -> None:
    @cli.command()
    def outbox(
        once: bool = typer.Option(False, help="queue what the log holds, one delivery pass, exit"),
        interval: float = typer.Option(0.5, help="seconds to wait when there is nothing to do"),
        from_end: bool = typer.Option(
            False, help="first start only: skip the events already stored (no past confirmations)"
        ),
        log_level: str = "INFO",
    ) -> None:
        """Follow the notification log and deliver its outbound messages: `channel.out`
        (CROSSDOCK_OUTBOX_KAFKA=1), the channels' signed webhooks, buyer e-mails
        (CROSSDOCK_SMTP_HOST). Retries with back-off; then the dead letters."""
        from adapters.bootstrap import store_env
        from adapters.kafka.relay import RelayLock
        from adapters.outbox.worker import build_outbox
        from api.app import build_services

        _logging(log_level)
        svc = build_services()
        box = svc.outbox or build_outbox(svc.app, svc.db)
        if from_end and box.ledger.start_at(svc.app.max_notification_id()):
            typer.echo(f"starting after notification {box.ledger.position()}")
        if once:
            stats = box.run_once()
            typer.echo(
                f"delivered {stats.delivered}, retried {stats.retried}, dead {stats.dead}, "
                f"skipped {stats.skipped}"
            )
            return
        stop = _stop_on_signals()
        lock = RelayLock(store_env(), "outbox")
        if not lock.acquire(stop):
            return
        try:
            box.run(stop, interval)
        finally:
            lock.release()
            box.close()

    @cli.command("outbox-replay")
    def outbox_replay(
        message_id: str = typer.Argument(None, help="one dead letter; all when omitted"),
    ) -> None:
        """Requeue dead letters with a fresh attempt budget (the worker sends them)."""
        from api.app import build_services

        svc = build_services()
        typer.echo(f"requeued {svc.outbox.use_cases.replay(message_id)}")


if __name__ == "__main__":  # pragma: no cover
    app = typer.Typer()
    register(app)
    app()
