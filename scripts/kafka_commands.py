"""`crossdock consume` and `crossdock relay`: the Kafka worker processes.

Wire into the main CLI with `register(cli)`; also runnable on its own:
    python -m scripts.kafka_commands consume --batch-size 200
    python -m scripts.kafka_commands relay
Settings come from the environment (adapters/kafka/config.py, adapters/bootstrap.py);
options given here win. SIGTERM or Ctrl-C stops after the current batch, leaving the group.
"""

from __future__ import annotations

import logging
import signal
import threading

import typer


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()

    def handler(signum: int, _frame: object) -> None:
        if stop.is_set():  # second signal: give up on the graceful path
            raise KeyboardInterrupt
        logging.getLogger("crossdock").info("signal %d: stopping after the current batch", signum)
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
    return stop


def _logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("kafka").setLevel(logging.WARNING)


def register(cli: typer.Typer) -> None:
    """Add the `consume` and `relay` commands to a Typer app."""

    @cli.command()
    def consume(
        channels: str = typer.Option(
            None, help="comma-separated channels (default: KAFKA_CHANNELS, all)"
        ),
        group_id: str = typer.Option(None, help="consumer group (default: KAFKA_GROUP_ID)"),
        batch_size: int = typer.Option(None, help="records per transaction (KAFKA_BATCH_SIZE)"),
        batch_wait_ms: int = typer.Option(
            None, help="max wait to fill a batch (KAFKA_BATCH_WAIT_MS)"
        ),
        exit_when_idle: float = typer.Option(
            0.0, help="stop after this many idle seconds (0: never)"
        ),
        log_level: str = typer.Option("INFO", help="DEBUG, INFO, WARNING"),
    ) -> None:
        """Ingest marketplace orders from orders.<channel> as a member of a consumer group."""
        from adapters.bootstrap import build_app
        from adapters.kafka.config import KafkaSettings
        from adapters.kafka.consumer import OrderConsumer
        from adapters.runtime import tune_gc

        _logging(log_level)
        log = logging.getLogger("crossdock.consume")
        settings = KafkaSettings.from_env(
            channels=tuple(c.strip() for c in channels.split(",") if c.strip())
            if channels
            else None,
            group_id=group_id,
            batch_size=batch_size,
            batch_wait_ms=batch_wait_ms,
        )
        stop = _stop_on_signals()
        app = build_app()
        try:
            if not app.reference.current()["products"]:
                typer.echo(
                    "no reference data in the store: seed it first (crossdock demo or the "
                    "reference API), or every order would be dead-lettered",
                    err=True,
                )
                raise typer.Exit(2)
            log.info("warmed up: %s", app.warm_up())
            tune_gc()  # after the warm-up: what it loaded stays out of the collector's way
            worker = OrderConsumer(app.orders, settings)
            log.info(
                "consuming %s as group %r (batch %d / %d ms) from %s",
                ",".join(settings.orders_topics),
                settings.group_id,
                settings.batch_size,
                settings.batch_wait_ms,
                ",".join(settings.bootstrap_servers),
            )
            try:
                stats = worker.run(stop, idle_exit_s=exit_when_idle)
            finally:
                worker.close()
            log.info(
                "stopped: %d batches, %d records, %d created, %d existing, %d dead-lettered",
                stats.batches,
                stats.records,
                stats.created,
                stats.existing,
                stats.dead,
            )
        finally:
            app.close()

    @cli.command()
    def relay(
        batch_size: int = typer.Option(
            None, help="notifications per step (KAFKA_RELAY_BATCH_SIZE)"
        ),
        interval_ms: int = typer.Option(None, help="idle poll interval (KAFKA_RELAY_INTERVAL_MS)"),
        name: str = typer.Option(None, help="position row name (KAFKA_RELAY_NAME)"),
        exit_when_idle: float = typer.Option(
            0.0, help="stop after this many idle seconds (0: never)"
        ),
        log_level: str = typer.Option("INFO", help="DEBUG, INFO, WARNING"),
    ) -> None:
        """Publish every stored event to logistics.events, at least once, in log order."""
        from adapters.bootstrap import build_app, store_env
        from adapters.kafka.config import KafkaSettings
        from adapters.kafka.relay import EventRelay, RelayLock
        from adapters.runtime import tune_gc
        from projections.db import ViewDB

        _logging(log_level)
        log = logging.getLogger("crossdock.relay")
        settings = KafkaSettings.from_env(
            relay_batch_size=batch_size, relay_interval_ms=interval_ms, relay_name=name
        )
        stop = _stop_on_signals()
        env = store_env()
        lock = RelayLock(env, settings.relay_name)
        if not lock.acquire(stop):
            return
        app = build_app()
        db = ViewDB(env)
        tune_gc()
        try:
            worker = EventRelay(app, settings, db)
            log.info(
                "relaying to %s from position %d (%s)",
                settings.events_topic,
                worker.position(),
                ",".join(settings.bootstrap_servers),
            )
            try:
                stats = worker.run(stop, idle_exit_s=exit_when_idle)
            finally:
                worker.close()
            log.info("stopped at position %d: %d events published", stats.position, stats.published)
        finally:
            app.close()
            lock.release()


cli = typer.Typer(help="Crossdock Kafka workers", no_args_is_help=True)
register(cli)

if __name__ == "__main__":
    cli()
