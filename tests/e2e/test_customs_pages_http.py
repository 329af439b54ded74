"""The customs desk's forms over HTTP: what a refused or bad form leaves behind (nothing), the
live preview storing nothing, reject needing a reason, the queue's filters, the PDFs shown
inline. The browser side is tests/browser/test_customs_desk.py."""

from __future__ import annotations

import re
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from tests.browser.seed import seeded


def token_in(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found
    return found[1]


@pytest.fixture
def desk(tmp_path):
    svc, keys, seed = seeded(tmp_path)
    c = TestClient(create_app(svc))
    form = c.get("/pages/sign-in").text
    c.post("/pages/sign-in", data={"api_key": keys["customs"], "csrf_token": token_in(form)})
    c.svc, c.seed = svc, seed["declarations"]
    c.token = token_in(c.get("/pages").text)
    yield c
    svc.db.close()
    svc.app.close()


def stored(c, ext):
    return c.svc.app.customs.get_declaration(UUID(c.seed[ext]))


def url(c, ext, action=""):
    return f"/pages/customs/declarations/{c.seed[ext]}{action}"


def test_an_approve_without_the_csrf_token_is_refused_and_nothing_is_approved(desk):
    r = desk.post(url(desk, "US-3", "/approve"), data={"note": "ok"})
    assert r.status_code == 403 and "security token" in r.text
    assert stored(desk, "US-3").status == "pending_review"
    ok = desk.post(url(desk, "US-3", "/approve"), data={"csrf_token": desk.token},
                   follow_redirects=False)  # fmt: skip
    assert ok.status_code == 303 and stored(desk, "US-3").status == "approved"
    assert stored(desk, "US-3").reviews[-1]["by"] == "customs"


def test_a_rejection_needs_a_reason_then_records_it(desk):
    blank = desk.post(url(desk, "US-4", "/reject"), data={"csrf_token": desk.token, "reason": " "})
    assert blank.status_code == 422 and "needs a reason" in blank.text
    assert stored(desk, "US-4").status == "pending_review"
    desk.post(url(desk, "US-4", "/reject"), data={"csrf_token": desk.token, "reason": "no invoice"})
    d = stored(desk, "US-4")
    assert d.status == "rejected" and d.reviews[-1]["reason"] == "no invoice"
    again = desk.post(url(desk, "US-4", "/amend"),
                      data={"csrf_token": desk.token, "l1_quantity": "1", "reason": "x"})  # fmt: skip
    assert again.status_code == 409 and "rejected declaration is not amended" in again.text


def test_the_preview_recomputes_without_storing_and_a_bad_line_is_a_422(desk):
    version = stored(desk, "US-3").version
    data = {"csrf_token": desk.token, "l1_unit_value": "79.00", "l1_description": "Kitchen knife set 5 pcs"}  # fmt: skip
    preview = desk.post(url(desk, "US-3", "/amend/preview"), data=data)
    assert preview.status_code == 200 and "Flags after the change" in preview.text
    assert "value_deviation" not in preview.text  # the value now matches the catalogue
    assert stored(desk, "US-3").version == version
    bad = desk.post(url(desk, "US-3", "/amend/preview"), data={**data, "l1_hs_code": "85AB"})
    assert bad.status_code == 422 and "line 1 hs_code" in bad.text
    saved = desk.post(
        url(desk, "US-3", "/amend"), data={**data, "l1_hs_code": "85AB", "reason": "x"}
    )
    assert saved.status_code == 422 and stored(desk, "US-3").version == version
    nothing = desk.post(url(desk, "US-3", "/amend"), data={"csrf_token": desk.token, "reason": "x"})
    assert nothing.status_code == 422 and "Nothing was changed" in nothing.text
    no_reason = desk.post(url(desk, "US-3", "/amend"), data=data)
    assert no_reason.status_code == 422 and stored(desk, "US-3").version == version
    done = desk.post(url(desk, "US-3", "/amend"), data={**data, "reason": "price checked"},
                     follow_redirects=False)  # fmt: skip
    assert done.status_code == 303
    d = stored(desk, "US-3")
    assert d.flags == [] and d.reviews[-1] == {
        "action": "amend", "by": "customs", "reason": "price checked",
        "changes": [{"line_no": 1, "unit_value": "79.00"}],
    }  # fmt: skip


def test_the_queue_filters_by_flag_destination_channel_status_and_age(desk):
    def shown(query):
        return set(re.findall(r'<tr data-id="([^"]+)"', desk.get("/pages/customs" + query).text))

    flagged = {desk.seed[e] for e in ("US-3", "US-4", "US-5")}
    assert shown("") == flagged  # the default: waiting for review
    assert shown("?flag=value_deviation") == flagged
    assert shown("?flag=weight_mismatch") == set()
    assert shown("?status=&destination=gb") == {desk.seed["GB-1"]}
    assert shown("?status=&channel=amazon") == set()
    assert shown("?status=approved") >= {desk.seed["US-1"], desk.seed["GB-1"]}
    assert shown("?age=4") == set()  # all drafted moments ago
    assert desk.get("/pages/customs?status=lost").status_code == 422
    assert desk.get("/pages/customs?destination=USA").status_code == 422


def test_the_documents_open_in_the_browser_as_pdf(desk):
    for kind in ("commercial-invoice.pdf", "packing-list.pdf"):
        r = desk.get(url(desk, "US-3", f"/documents/{kind}"))
        assert r.status_code == 200 and r.content.startswith(b"%PDF")
        assert r.headers["content-type"] == "application/pdf"
        assert r.headers["content-disposition"].startswith("inline")
    assert desk.get(url(desk, "US-3", "/documents/other.pdf")).status_code == 422


def test_hs_suggestions_on_a_line_are_shown_beside_it(desk, monkeypatch):
    # The drafting that adds `hs_suggestions` to a flagged line is another change's; the page
    # shows whatever a line carries, here given to the declaration the use case answers.
    customs = desk.svc.app.customs
    answer = customs.declaration_with_history

    def with_suggestions(declaration_id):
        d, events = answer(declaration_id)
        d.document["lines"][0]["hs_suggestions"] = [
            {"hs_code": "821191", "description": "Table knives with fixed blades", "score": 0.91}
        ]
        return d, events

    monkeypatch.setattr(customs, "declaration_with_history", with_suggestions)
    html = desk.get(url(desk, "US-3")).text
    cell = html.split('class="suggestions">')[1].split("</td>")[0]
    assert "821191" in cell and "Table knives with fixed blades" in cell and "91%" in cell
    monkeypatch.undo()
    plain = desk.get(url(desk, "US-3")).text
    assert "821191" not in plain.split('class="suggestions">')[1].split("</td>")[0]
