"""HS code suggestions over HTTP: the customs desk asks for the best subheadings for a
description; a product registered without an HS code is refused with suggestions to choose
from (nothing saved); a declaration line whose HS code is flagged shows suggestions beside it."""

from __future__ import annotations

from tests.e2e.test_customs_http import decl, ship_from_fra
from tests.e2e.test_warehouse_http import floor  # noqa: F401 - fixture

URL = "/v1/customs/hs-suggestions"


def test_the_desk_gets_five_explained_subheadings_for_a_description(floor):  # noqa: F811
    c = floor
    r = c.post(
        URL, json={"description": "rechargeable li-ion battery pack"}, headers=c.keys["customs"]
    )
    assert r.status_code == 200, r.text
    body = r.json()
    found = body["suggestions"]
    assert len(found) == 5 and found[0]["hs6"] == "850760"
    assert [s["score"] for s in found] == sorted((s["score"] for s in found), reverse=True)
    assert "lithium" in found[0]["matched_words"] and found[0]["heading"] == "8507"
    assert "accumulators" in body["query"]["looked_up"]  # the glossary's words are shown
    assert body["model"]["ranker"] and body["model"]["fusion"]["method"] == "weighted"
    # Material and use are part of what is looked up; the origin is echoed only.
    shirt = c.post(
        URL,
        json={"description": "crew neck T-shirt", "material": "cotton, knitted", "origin": "BD"},
        headers=c.keys["admin"],
    ).json()
    assert shirt["suggestions"][0]["hs6"] == "610910" and shirt["query"]["origin"] == "BD"


def test_a_description_with_nothing_to_look_up_is_422_and_other_roles_403(floor):  # noqa: F811
    c = floor
    for body in (
        {"description": ""},
        {"description": "   "},
        {},
        {"description": "x", "colour": 1},
    ):
        assert c.post(URL, json=body, headers=c.keys["customs"]).status_code == 422, body
    r = c.post(URL, json={"description": "!!! 42"}, headers=c.keys["customs"])
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == "body.description"
    assert (
        c.post(
            URL, json={"description": "x", "origin": "china"}, headers=c.keys["customs"]
        ).status_code
        == 422
    )
    for who in ("fra", "web", "finance"):
        assert c.post(URL, json={"description": "tea"}, headers=c.keys[who]).status_code == 403


def product_body(c, sku: str) -> dict:
    p = c.svc.app.reference.product(sku).details()
    keys = ("name", "unit_weight_g", "dimensions_mm", "origin_country", "unit_value", "currency")
    return {k: str(p[k]) if k == "unit_value" else p[k] for k in keys}


def test_a_product_without_an_hs_code_is_refused_with_suggestions_and_nothing_saved(floor):  # noqa: F811
    c = floor
    body = {**product_body(c, "SKU-BIKE-LIGHT"), "name": "65 W USB-C GaN charger"}
    r = c.put("/v1/admin/products/SKU-NEW-CHARGER", json=body, headers=c.keys["admin"])
    assert r.status_code == 422
    answer = r.json()
    assert answer["detail"][0]["loc"] == "body.hs_code"
    assert "850440" in [s["hs6"] for s in answer["hs_suggestions"]]
    products = c.get("/v1/reference", headers=c.keys["admin"]).json()["products"]
    assert "SKU-NEW-CHARGER" not in {p["sku"] for p in products}
    # The admin picks one and PUTs again: registered with the code the admin chose.
    chosen = answer["hs_suggestions"][0]["hs6"]
    ok = c.put(
        "/v1/admin/products/SKU-NEW-CHARGER",
        json={**body, "hs_code": chosen},
        headers=c.keys["admin"],
    )
    assert ok.status_code == 200 and ok.json()["hs_code"] == chosen


def test_a_flagged_hs_line_shows_three_suggestions_beside_it(floor):  # noqa: F811
    c = floor
    # The catalogue holds only the heading (4 digits): the declaration line is flagged.
    body = {**product_body(c, "SKU-BIKE-LIGHT"), "hs_code": "8512"}
    assert (
        c.put("/v1/admin/products/SKU-BIKE-LIGHT", json=body, headers=c.keys["admin"]).status_code
        == 200
    )
    _, packed = ship_from_fra(c, "GBHS1", "SKU-BIKE-LIGHT", 1, "16.00", "GB", "SW1A 1AA")
    d = decl(c, packed["declaration_id"])
    assert "lines[0].hs_code" in {f["field"] for f in d["flags"]}
    line = d["document"]["lines"][0]
    assert line["description"] == "Bicycle light set USB"
    suggestions = line["hs_suggestions"]
    assert len(suggestions) == 3 and suggestions[0]["hs6"] == "851210"
    assert "bicycle" in suggestions[0]["matched_words"] and suggestions[0]["score"] > 0
    # The reviewer takes the suggestion: the amended line is no longer flagged nor suggested.
    r = c.post(
        f"/v1/customs/declarations/{packed['declaration_id']}/amend",
        headers=c.keys["customs"],
        json={
            "reason": "HS6 from the suggestion",
            "changes": [{"line_no": 1, "hs_code": "851210"}],
        },
    )
    assert r.status_code == 200, r.text
    assert "lines[0].hs_code" not in {f["field"] for f in r.json()["flags"]}
    assert {"hs_suggestions", "hs_advice"}.isdisjoint(r.json()["document"]["lines"][0])
    review = r.json()["reviews"][-1]
    assert review["reason"] == "HS6 from the suggestion"
    advice = review["changes"][0]["hs_advice"]  # what was shown and taken, with the event
    assert advice["taken_rank"] == 1 and advice["suggested"][0]["hs6"] == "851210"
    assert advice["model"]["ranker"] and advice["model"]["fusion"]


def test_a_reviewer_who_overrules_the_suggestions_is_recorded_as_such(floor):  # noqa: F811
    c = floor
    body = {**product_body(c, "SKU-BIKE-LIGHT"), "hs_code": "8512"}
    c.put("/v1/admin/products/SKU-BIKE-LIGHT", json=body, headers=c.keys["admin"])
    _, packed = ship_from_fra(c, "GBHS2", "SKU-BIKE-LIGHT", 1, "16.00", "GB", "SW1A 1AA")
    r = c.post(
        f"/v1/customs/declarations/{packed['declaration_id']}/amend",
        headers=c.keys["customs"],
        json={"reason": "broker: a toy", "changes": [{"line_no": 1, "hs_code": "950300"}]},
    )
    assert r.status_code == 200, r.text
    advice = r.json()["reviews"][-1]["changes"][0]["hs_advice"]
    assert advice["taken_rank"] is None and advice["chosen"] == "950300"
    assert "851210" in [s["hs6"] for s in advice["suggested"]]
    stored = decl(c, packed["declaration_id"])  # read back from the store
    assert stored["reviews"][-1]["changes"][0]["hs_advice"] == advice
