"""Input that cannot hurt the server: bodies over their route's limit refused as they arrive,
zip bombs refused before anything inflates them, formulas kept as text, paging bounded, and a
big bill parsed while the server keeps answering."""

from __future__ import annotations

import asyncio
import io
import threading
import tracemalloc
import zipfile
from collections.abc import AsyncIterator
from typing import Any

import httpx
import openpyxl
import pytest
from fastapi.testclient import TestClient

from adapters.reference.seed import seed_reference
from adapters.uploads import UploadTooLarge, ZipLimits, check_zip
from api.app import build_services, create_app
from api.auth import KeyStore
from api.limits import MAX_OFFSET
from tests.api_keys import ROLE_KEYS, bearer_keys

BILL_HEAD = "waybill,carrier,service,billed_weight_kg,base,fuel,currency,bill_line_ref"


def _app(store: dict[str, str]) -> tuple[Any, Any, dict[str, dict[str, str]]]:
    keys, entries = bearer_keys(ROLE_KEYS)
    svc = build_services(store, KeyStore(entries))
    seed_reference(svc.app)
    return create_app(svc), svc, keys


@pytest.fixture
def api(sqlite_store, monkeypatch):
    monkeypatch.setenv("CROSSDOCK_MAX_BODY_BYTES", "100000")
    monkeypatch.setenv("CROSSDOCK_MAX_BILL_BYTES", "12000000")
    app, svc, keys = _app(sqlite_store)
    with TestClient(app) as c:
        c.keys, c.svc, c.app_ = keys, svc, app
        yield c


def bill_csv(lines: int) -> bytes:
    rows = [f"JD{i:08d},,EXPRESS,2.5,20,4,EUR," for i in range(lines)]  # carrier from the query
    return ("\n".join([BILL_HEAD, *rows]) + "\n").encode()


def xlsx(rows: list[list[Any]]) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def bomb(sheet_bytes: int) -> bytes:
    """A real workbook whose first sheet is swapped for `sheet_bytes` of repeated rows: a few
    hundred KB on the wire."""
    good = zipfile.ZipFile(io.BytesIO(xlsx([BILL_HEAD.split(",")])))
    out = io.BytesIO()
    row = b'<row><c t="inlineStr"><is><t>JD000000000001</t></is></c></row>'
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in good.infolist():
            if info.filename == "xl/worksheets/sheet1.xml":
                with z.open(info.filename, "w") as f:
                    f.write(b'<worksheet xmlns="http://schemas.openxmlformats.org/')
                    f.write(b'spreadsheetml/2006/main"><sheetData>')
                    chunk = row * (1024 * 1024 // len(row))
                    for _ in range(sheet_bytes // len(chunk)):
                        f.write(chunk)
                    f.write(b"</sheetData></worksheet>")
            else:
                z.writestr(info, good.read(info.filename))
    return out.getvalue()


def post_bill(c, content: bytes, filename: str = "bill.csv") -> httpx.Response:
    return c.post(
        "/v1/finance/carrier-bills?carrier=dhl_express",
        content=content,
        headers={**c.keys["finance"], "X-Filename": filename},
    )


# --- body limits -----------------------------------------------------------------------------


def test_a_json_body_over_the_limit_is_413_naming_the_limit_before_it_is_parsed(api):
    big = b'{"padding": "' + b"x" * 200_000 + b'"}'
    r = api.post(
        "/v1/rates/quote",
        content=big,
        headers={**api.keys["admin"], "Content-Type": "application/json"},
    )
    assert r.status_code == 413
    body = r.json()
    assert body["error"] == "too_large" and body["limit"] == 100_000
    assert body["setting"] == "CROSSDOCK_MAX_BODY_BYTES"
    assert "100,000 bytes" in body["detail"]


async def _stream_to(app, path: str, headers: dict[str, str], chunk: int, chunks: int):
    """POST an endless-looking body without a Content-Length; how many chunks were taken."""
    sent = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal sent
        for _ in range(chunks):
            sent += 1
            yield b" " * chunk

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        r = await client.post(path, content=body(), headers=headers)
    return r, sent


@pytest.mark.parametrize(
    "path",
    [
        "/v1/rates/quote",  # a FastAPI route
        "/v1/channels/amazon/orders",  # api/fast_intake.py
    ],
)
def test_a_streamed_body_is_cut_off_at_the_limit_not_read_to_its_end(api, path):
    headers = {**api.keys["admin"], "Content-Type": "application/json"}
    r, sent = asyncio.run(_stream_to(api.app_, path, headers, chunk=10_000, chunks=100_000))
    assert r.status_code == 413, r.text
    assert r.json()["error"] == "too_large"
    assert sent <= 12  # 100,000 bytes of a 1 GB body, then the answer


def test_a_bill_over_its_limit_is_413_and_nothing_is_stored(api):
    r = post_bill(api, b"x" * 12_000_001)
    assert r.status_code == 413
    assert r.json()["setting"] == "CROSSDOCK_MAX_BILL_BYTES"
    assert api.svc.app.settlement.bills() == []
    ok = post_bill(api, bill_csv(20))  # a bill may be larger than a JSON body
    assert ok.status_code == 201, ok.text


# --- zipped uploads --------------------------------------------------------------------------


def test_an_xlsx_zip_bomb_is_refused_before_it_is_inflated(api):
    data = bomb(300 * 1024 * 1024)  # 300 MB of sheet XML
    assert len(data) < 2_000_000
    tracemalloc.start()
    try:
        r = post_bill(api, data, "bill.xlsx")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert r.status_code == 413, r.text
    body = r.json()
    assert body["error"] == "too_large"
    assert "xl/worksheets/sheet1.xml" in body["detail"] or "unpacks" in body["detail"]
    assert body["setting"] in ("CROSSDOCK_MAX_ZIP_RATIO", "CROSSDOCK_MAX_UNZIPPED_BYTES")
    assert peak < 40 * 1024 * 1024  # the request, not the 300 MB it would inflate to
    assert api.svc.app.settlement.bills() == []


def test_archive_limits_unpacked_size_ratio_and_members():
    plain = io.BytesIO()
    with zipfile.ZipFile(plain, "w", zipfile.ZIP_STORED) as z:
        z.writestr("a.xml", b"x" * 5000)
        z.writestr("b.xml", b"y" * 5000)
    check_zip(plain.getvalue(), ZipLimits(max_unzipped_bytes=10_000))  # exactly at the limit
    with pytest.raises(UploadTooLarge, match="unpacks to more than 9,999 bytes"):
        check_zip(plain.getvalue(), ZipLimits(max_unzipped_bytes=9_999))
    with pytest.raises(UploadTooLarge, match="'a.xml' inflates"):
        squeezed = io.BytesIO()
        with zipfile.ZipFile(squeezed, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("a.xml", b"x" * 1_000_000)
        check_zip(squeezed.getvalue())
    with pytest.raises(UploadTooLarge, match="members"):
        check_zip(plain.getvalue(), ZipLimits(max_members=1))
    with pytest.raises(UploadTooLarge, match="'xl/sharedStrings.xml' unpacks to 10,000 bytes"):
        shared = io.BytesIO()
        with zipfile.ZipFile(shared, "w", zipfile.ZIP_STORED) as z:
            z.writestr("xl/sharedStrings.xml", b"s" * 10_000)
        check_zip(shared.getvalue(), ZipLimits(held_whole=(("xl/sharedStrings.xml", 9_999),)))
    check_zip(b"not a zip at all")  # left to the parser to reject in its own words
    real = xlsx([BILL_HEAD.split(","), ["JD1", "dhl_express", "EXPRESS", 2.5, 20, 4, "EUR", "1"]])
    check_zip(real)


def test_a_sheet_with_thousands_of_columns_is_refused(api):
    wide = xlsx([[f"c{i}" for i in range(5000)]])
    r = post_bill(api, wide, "bill.xlsx")
    assert r.status_code == 422
    assert "more than 200 columns" in r.json()["detail"][0]["msg"]
    r = post_bill(api, (",".join(["waybill"] * 5000) + "\n").encode())
    assert r.status_code == 422 and "more than 200 columns" in r.json()["detail"][0]["msg"]


# --- formulas --------------------------------------------------------------------------------


def test_formula_cells_are_read_as_text_never_as_their_claimed_value(api):
    head = BILL_HEAD.split(",")
    good = ["JD000000000001", "dhl_express", "EXPRESS", 2.5, 20, 4, "EUR", "1"]
    formula = ["JD000000000002", "dhl_express", "EXPRESS", 2.5, "=E2*2", 4, "EUR", "2"]
    r = post_bill(api, xlsx([head, good, formula]), "bill.xlsx")
    assert r.status_code == 422, r.text
    (err,) = r.json()["detail"]
    assert err["line"] == 3 and err["loc"] == "line 3: base"
    assert "a formula" in err["msg"] and "=E2*2" in err["msg"]
    assert api.svc.app.settlement.bills() == []
    # a formula where text belongs stays text, and the report neutralises it
    text = ["JD000000000003", "dhl_express", '=HYPERLINK("http://x","y")', 2.5, 20, 4, "EUR", "3"]
    r = post_bill(api, xlsx([head, good, text]), "bill.xlsx")
    assert r.status_code == 201, r.text
    report = api.get(
        f"/v1/finance/carrier-bills/{r.json()['id']}/report.csv", headers=api.keys["finance"]
    )
    assert "'=HYPERLINK" in report.content.decode("utf-8-sig")


# --- paging ----------------------------------------------------------------------------------


def _paged_routes(app) -> list[str]:
    out = []
    for path, ops in app.openapi()["paths"].items():
        for method, op in ops.items():
            names = {p["name"] for p in op.get("parameters", []) if p["in"] == "query"}
            if method == "get" and {"limit", "offset"} <= names:
                out.append(path)
    return out


def test_every_paged_route_answers_422_for_huge_or_negative_paging(api):
    paged = _paged_routes(api.app_)
    assert len(paged) >= 3
    for path in paged:
        for query, field in [
            ({"offset": 2**63}, "offset"),
            ({"offset": MAX_OFFSET + 1}, "offset"),
            ({"offset": -1}, "offset"),
            ({"limit": 10**12}, "limit"),
            ({"limit": -5}, "limit"),
            ({"limit": 0}, "limit"),
        ]:
            answers = [api.get(path, params=query, headers=k) for k in api.keys.values()]
            allowed = [a for a in answers if a.status_code not in (401, 403, 404)]
            assert allowed, path
            for r in allowed:
                assert r.status_code == 422, (path, query, r.status_code, r.text)
                (err,) = r.json()["detail"]
                assert err["loc"] == f"query.{field}", err
                assert "greater than" in err["msg"] or "less than" in err["msg"]
        ok = api.get(path, params={"offset": MAX_OFFSET, "limit": 1}, headers=api.keys["admin"])
        assert ok.status_code in (200, 403), ok.text


# --- heavy work off the event loop -----------------------------------------------------------


def test_healthz_answers_while_a_big_bill_is_being_processed(api):
    """The bill's processing is held in its worker thread until /healthz has answered: if the
    parse ran on the event loop, /healthz could not answer and the test would hang (and fail on
    the gate's timeout) instead of passing."""
    settlement = api.svc.app.settlement
    files = settlement.bill_files
    started, healthz_answered = threading.Event(), threading.Event()
    order: list[str] = []

    class Held:
        def read(self, *args: Any) -> Any:
            started.set()
            frame = files.read(*args)  # the real parse of 200,000 lines
            assert healthz_answered.wait(timeout=120), "healthz did not answer"
            order.append("bill parsed")
            return frame

        def __getattr__(self, name: str) -> Any:
            return getattr(files, name)

    settlement.bill_files = Held()
    data = bill_csv(200_000)

    async def scenario() -> tuple[httpx.Response, httpx.Response]:
        transport = httpx.ASGITransport(app=api.app_)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            upload = asyncio.create_task(
                client.post(
                    "/v1/finance/carrier-bills?carrier=dhl_express",
                    content=data,
                    headers={**api.keys["finance"], "X-Filename": "big.csv"},
                )
            )
            while not started.is_set():  # the bill is in its worker thread
                assert not upload.done(), (await upload).text[:500]
                await asyncio.sleep(0.01)
            health = await client.get("/healthz")
            order.append("healthz")
            assert not upload.done()
            healthz_answered.set()
            return health, await upload

    try:
        health, upload = asyncio.run(scenario())
    finally:
        settlement.bill_files = files
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    assert upload.status_code == 201, upload.text[:500]
    assert upload.json()["totals"]["lines"] == 200_000
    assert order == ["healthz", "bill parsed"]


# --- error answers as documented -------------------------------------------------------------


def test_an_undecodable_json_body_is_422_naming_the_body(api):
    r = api.post(
        "/v1/rates/quote",
        content=b"\xff\xfe{not json",
        headers={**api.keys["admin"], "Content-Type": "application/json"},
    )
    assert r.status_code == 422
    assert r.json() == {
        "error": "invalid",
        "detail": [{"loc": "body", "msg": "not valid JSON (or not UTF-8 text)"}],
    }


def test_every_error_status_is_documented_with_the_body_the_app_sends(api):
    from api.error_docs import ErrorBody

    spec = api.app_.openapi()
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            codes = set(op["responses"])
            wanted = {"413", "422", "429"} | ({"401", "403"} if op.get("security") else set())
            assert wanted <= codes, (method, path, codes)
            for code in wanted:
                schema = op["responses"][code]["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Error"}
    none = f"{'0' * 8}-0000-0000-0000-{'0' * 12}"
    answers = [
        (api.get("/v1/orders"), 401),  # FastAPI's HTTPException
        (api.get("/v1/customs/declarations", headers=api.keys["amazon"]), 403),
        (api.get("/v1/orders?offset=-1", headers=api.keys["admin"]), 422),
        (post_bill(api, b"x" * 12_000_001), 413),  # api/limits.py
        (post_bill(api, bomb(200 * 1024 * 1024), "bill.xlsx"), 413),  # adapters/uploads.py
        (api.get(f"/v1/finance/carrier-bills/{none}", headers=api.keys["finance"]), 404),
    ]
    for r, status in answers:
        assert r.status_code == status, r.text
        ErrorBody.model_validate(r.json())
