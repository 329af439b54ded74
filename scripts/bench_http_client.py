"""A minimal closed-loop HTTP/1.1 load client for `make bench` (asyncio streams, keep-alive).

Why not httpx: on this 2-core machine httpx.AsyncClient with 50 concurrent connections spends
more CPU per request than the server's /healthz does (measured: ~230 GET /healthz per second
through httpx against ~1,200 with plain sockets), so it would measure itself rather than the API.
This client does only what the bench needs: N persistent connections, each sending its next
request as soon as the previous response has been read in full, timing each request.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: bytes | None = None


@dataclass
class LoadResult:
    latencies: list[float] = field(default_factory=list)  # seconds, one per finished request
    statuses: Counter[int] = field(default_factory=Counter)  # -1 counts transport failures
    seconds: float = 0.0  # wall time from the first request to the last response
    errors: list[str] = field(default_factory=list)  # transport failures
    failures: list[str] = field(default_factory=list)  # the first error responses, abridged


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool, bytes]:
    """Reads one response in full; returns (status, connection may be reused, body)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    version, status, *_ = lines[0].split(" ", 2)
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    body = b""
    if headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            size = int((await reader.readline()).split(b";")[0], 16)
            body += (await reader.readexactly(size + 2))[:-2]  # the chunk and its CRLF
            if size == 0:
                break
    elif "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    connection = headers.get("connection", "").lower()
    reusable = connection != "close" and not (version == "HTTP/1.0" and connection != "keep-alive")
    return int(status), reusable, body


def _encode(req: Request, host: str, port: int, headers: dict[str, str]) -> bytes:
    lines = [f"{req.method} {req.path} HTTP/1.1", f"Host: {host}:{port}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    if req.body is not None:
        lines.append(f"Content-Length: {len(req.body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (req.body or b"")


Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]


async def _exchange(
    conn: Connection | None,
    data: bytes,
    host: str,
    port: int,
    result: LoadResult,
    started: float,
) -> Connection | None:
    """One request/response on `conn` (opened when None); its latency from `started` goes into
    `result`. Returns the connection to reuse, or None when it was closed or failed."""
    try:
        if conn is None:
            conn = await asyncio.open_connection(host, port)
        reader, writer = conn
        writer.write(data)
        await writer.drain()
        status, reusable, body = await _read_response(reader)
    except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
        result.statuses[-1] += 1
        result.errors.append(repr(exc))
        if conn is not None:
            conn[1].close()
        return None
    result.latencies.append(time.perf_counter() - started)
    result.statuses[status] += 1
    if status >= 400 and len(result.failures) < 20:
        result.failures.append(f"{status} {body[:300].decode(errors='replace')}")
    if not reusable:
        conn[1].close()
        return None
    return conn


async def run_load(
    host: str,
    port: int,
    requests: list[Request],
    concurrency: int,
    headers: dict[str, str] | None = None,
) -> LoadResult:
    """Sends `requests` over `concurrency` keep-alive connections (closed loop). Connections are
    opened before the clock starts; each latency runs from writing the request to having read
    the whole response."""
    headers = headers or {}
    queue: asyncio.Queue[Request] = asyncio.Queue()
    for r in requests:
        queue.put_nowait(r)
    result = LoadResult()
    start = asyncio.Event()
    ready = [0]  # clients that have connected (or failed to) and wait for the start

    async def client() -> None:
        conn: Connection | None = None
        try:
            conn = await asyncio.open_connection(host, port)
        except OSError as exc:
            result.errors.append(f"connect: {exc!r}")
        finally:
            ready[0] += 1
        await start.wait()
        try:
            while True:
                try:
                    req = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                data = _encode(req, host, port, headers)
                conn = await _exchange(conn, data, host, port, result, time.perf_counter())
        finally:
            if conn is not None:
                conn[1].close()

    tasks = [asyncio.create_task(client()) for _ in range(min(concurrency, len(requests)))]
    while ready[0] < len(tasks):  # every connection open before the clock starts
        await asyncio.sleep(0.005)
    began = time.perf_counter()
    start.set()
    outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    result.seconds = time.perf_counter() - began
    for o in outcomes:
        if isinstance(o, BaseException):
            result.errors.append(repr(o))
    return result


async def run_open_loop(
    host: str,
    port: int,
    requests: list[Request],
    connections: int,
    rate_per_s: float,
    headers: dict[str, str] | None = None,
    seed: int = 7,
) -> LoadResult:
    """Open loop: requests ARRIVE at `rate_per_s` (Poisson, seeded) whether or not earlier ones
    were answered, and are sent over `connections` keep-alive connections (a request waits
    for a free connection when all are busy). Each latency runs from the request's scheduled
    arrival, so time spent queueing behind a slow server counts (no coordinated omission)."""
    import random

    headers = headers or {}
    result = LoadResult()
    rng = random.Random(seed)
    arrivals: asyncio.Queue[tuple[float, Request] | None] = asyncio.Queue()
    conns = []
    for _ in range(min(connections, len(requests))):
        try:
            conns.append(await asyncio.open_connection(host, port))
        except OSError as exc:
            result.errors.append(f"connect: {exc!r}")

    async def client(conn: Connection | None) -> None:
        while True:
            job = await arrivals.get()
            if job is None:
                break
            scheduled, req = job
            conn = await _exchange(
                conn, _encode(req, host, port, headers), host, port, result, scheduled
            )
        if conn is not None:
            conn[1].close()

    tasks = [asyncio.create_task(client(c)) for c in conns]
    began = time.perf_counter()
    due = began
    for req in requests:
        due += rng.expovariate(rate_per_s)
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        arrivals.put_nowait((due, req))
    for _ in tasks:
        arrivals.put_nowait(None)
    await asyncio.gather(*tasks, return_exceptions=True)
    result.seconds = time.perf_counter() - began
    return result
