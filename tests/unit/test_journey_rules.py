"""The journey's pure rules: the promised date, how names are searched, and which language a
buyer's tracking page is in."""

from __future__ import annotations

from adapters.transport.carriers.tracking_codes import STATUSES
from api.tracking_i18n import LANGUAGES, STATUS_WORDS, WORDS, choose_language, for_country
from domains.journey import parse_shipment_id, promised_date, shipment_id
from domains.privacy.search import name_prefixes, name_words


def test_the_promise_is_the_channel_s_days_from_placing_unless_pre_sold():
    # Dealers are promised 21 days: 20 Nov + 21 = 11 Dec; the web shop 12: 2 Dec.
    assert promised_date("dealer", "2026-11-20T08:00:00Z") == "2026-12-11"
    assert promised_date("web", "2026-11-20T23:59:00+00:00") == "2026-12-02"
    presale = {"promised_date": "2027-01-15"}
    assert promised_date("web", "2026-11-20T08:00:00Z", presale) == "2027-01-15"


def test_a_shipment_id_is_its_order_and_number_and_reads_back():
    oid, no = parse_shipment_id(shipment_id("db5f5f66-3135-531d-b749-1760b12b115a", 12))
    assert (str(oid), no) == ("db5f5f66-3135-531d-b749-1760b12b115a", 12)


def test_names_are_searched_by_folded_word_prefixes():
    assert name_words("Zoë O'Brien-Łukasz") == ["zoe", "obrien", "lukasz"]
    prefixes = name_prefixes("Zoë O'Brien")
    assert {"zo", "zoe", "ob", "obri", "obrien"} <= prefixes
    assert "z" not in prefixes and "oe" not in prefixes  # two letters at least, from the start


def test_the_page_s_language_asked_then_browser_then_destination():
    assert choose_language("es", "de", "FR") == "es"
    assert choose_language(None, "de;q=0.5, fr;q=0.9", "GB") == "fr"  # by quality, not order
    assert choose_language(None, "it, es-MX", "GB") == "es"  # the first the page speaks
    assert choose_language(None, "*", "AT") == "de"  # Austria speaks German
    assert for_country("MX") == "es" and for_country("JP") == "en" and for_country(None) == "en"


def test_every_language_has_every_word_and_every_normalised_status():
    assert STATUS_WORDS["en"].keys() == set(STATUSES)  # a new status needs its words
    for lang in LANGUAGES:
        assert WORDS[lang].keys() == WORDS["en"].keys(), lang
        assert STATUS_WORDS[lang].keys() == STATUS_WORDS["en"].keys(), lang
