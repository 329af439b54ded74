"""HS suggestions, the pure part: how the two scores are fused, which words count as matched,
the shop-word glossary, and which declaration lines get suggestions."""

from __future__ import annotations

import pytest

from domains.customs.hs_suggest import (
    Fusion,
    HsEntry,
    Suggestion,
    flagged_hs_lines,
    fuse,
    matched_words,
    normalise,
    query_text,
    rank,
    with_line_suggestions,
    words,
)


def entry(hs6: str, text: str, heading_text: str = "", chapter_text: str = "") -> HsEntry:
    return HsEntry(hs6, text, hs6[:4], heading_text, hs6[:2], chapter_text)


ENTRIES = [
    entry("850650", "Cells and batteries; primary, lithium", "Primary cells and batteries"),
    entry("850760", "Electric accumulators; lithium-ion", "Electric accumulators"),
    entry("940521", "Luminaires; table or desk, for LED light sources", "Luminaires"),
]


def test_lexical_weight_one_ranks_by_the_lexical_score_alone():
    scores = fuse([0.9, 0.1, 0.5], [0.0, 1.0, 0.9], Fusion("weighted", 1.0))
    assert sorted(range(3), key=lambda i: -scores[i]) == [0, 2, 1]


def test_an_entry_both_scores_like_beats_one_only_a_single_score_likes():
    lexical, embedding = [0.9, 0.7, 0.0, 0.1], [0.0, 0.7, 0.9, 0.1]
    for fusion in (Fusion("weighted", 0.5), Fusion("rrf", 0.5, 60)):
        scores = fuse(lexical, embedding, fusion)
        assert max(range(4), key=lambda i: scores[i]) == 1, fusion


def test_scores_on_different_scales_are_normalised_per_query():
    # Embedding cosines run near 1 for everything; lexical ones are small: neither scale wins
    # just by being larger.
    scores = fuse([0.02, 0.01], [0.80, 0.81], Fusion("weighted", 0.5))
    assert scores[0] > scores[1]


def test_one_score_per_entry_or_an_error():
    with pytest.raises(ValueError):
        fuse([0.1, 0.2], [0.1], Fusion())
    with pytest.raises(ValueError):
        fuse([0.1], [0.1], Fusion("vote"))


def test_plurals_meet_their_singulars_but_short_words_stay():
    assert [normalise(w) for w in ("batteries", "lamps", "glasses", "boxes", "bus", "gas")] == [
        "battery",
        "lamp",
        "glass",
        "box",
        "bus",
        "gas",
    ]
    assert words("The T-shirts of cotton, for men") == ["tshirt", "cotton", "men"]


def test_shop_words_are_looked_up_with_the_nomenclatures_words_and_can_be_left_out():
    looked_up = query_text("USB-C wall charger", use="for phones")
    assert "static converters" in looked_up and looked_up.startswith(
        "USB-C wall charger for phones"
    )
    assert "static converters" not in query_text("USB-C wall charger", glossary=False)
    # A rule needs all its trigger words: "battery" alone is not an accumulator.
    assert "accumulators" not in query_text("AA alkaline battery")
    assert "accumulators" in query_text("rechargeable battery")


def test_matched_words_are_the_querys_words_the_texts_share_in_query_order_once():
    e = ENTRIES[1]
    assert matched_words("lithium-ion accumulator pack, lithium", e) == [
        "lithium",
        "ion",
        "accumulator",
    ]
    assert matched_words("silicone phone case", e) == []


def test_rank_keeps_the_best_k_with_both_raw_scores_and_the_matched_words():
    found = rank(ENTRIES, [0.2, 0.6, 0.0], [0.5, 0.9, 0.1], "lithium ion battery", k=2)
    assert [s.hs6 for s in found] == ["850760", "850650"]
    assert found[0].lexical == 0.6 and found[0].embedding == 0.9
    assert found[0].matched_words == ["lithium", "ion"]
    assert found[1].matched_words == ["lithium", "battery"]
    assert found[0].heading_text == "Electric accumulators"


class FakeSuggester:
    def __init__(self) -> None:
        self.asked: list[str] = []

    def suggest(self, description, material=None, use=None, k=5):
        self.asked.append(description)
        return [
            Suggestion(
                f"85076{i}", "Electric accumulators", "8507", "", "85", "", 1 - i / 10, 0, 0, ["x"]
            )
            for i in range(k)
        ]

    def version(self):
        return {"ranker": "fake"}


def test_only_lines_whose_hs_code_is_flagged_get_three_suggestions():
    document = {
        "lines": [
            {"line_no": 1, "description": "Power bank", "hs_code": "85"},
            {"line_no": 2, "description": "Wireless earbuds", "hs_code": "851830"},
            {"line_no": 3, "description": "gift", "hs_code": "950300"},
        ]
    }
    flags = [
        {"code": "hs_code_malformed", "field": "lines[0].hs_code"},
        {"code": "vague_description", "field": "lines[2].description"},
        {"code": "formal_entry", "field": "goods_value"},
    ]
    fake = FakeSuggester()
    out = with_line_suggestions(document, flags, fake)
    assert fake.asked == ["Power bank"]
    first = out["lines"][0]["hs_suggestions"]
    assert len(first) == 3 and set(first[0]) == {
        "hs6",
        "text",
        "heading_text",
        "score",
        "matched_words",
    }
    assert "hs_suggestions" not in out["lines"][1] and "hs_suggestions" not in out["lines"][2]
    assert "hs_suggestions" not in document["lines"][0]  # the stored document is not touched


def test_flag_fields_name_the_lines_by_position():
    flags = [
        {"field": "lines[3].hs_code"},
        {"field": "lines[1].hs_code"},
        {"field": "lines[3].hs_code"},
    ]
    assert flagged_hs_lines(flags) == [1, 3]
    assert flagged_hs_lines([{"field": "lines[1].quantity"}, {"field": "gross_weight_g"}]) == []


def test_setting_a_flagged_lines_code_records_what_was_suggested_and_which_was_taken():
    from domains.customs.hs_suggest import with_hs_advice

    document = {
        "lines": [
            {"line_no": 1, "description": "Power bank", "hs_code": "85"},
            {"line_no": 2, "description": "Wireless earbuds", "hs_code": "851830"},
        ]
    }
    flags = [{"code": "hs_code_malformed", "field": "lines[0].hs_code"}]
    fake = FakeSuggester()
    taken, other = with_hs_advice(
        document,
        flags,
        [{"line_no": 1, "hs_code": "8507.61"}, {"line_no": 2, "hs_code": "851840"}],
        fake,
    )
    assert taken["hs_advice"]["taken_rank"] == 2 and taken["hs_advice"]["model"] == {
        "ranker": "fake"
    }
    assert [s["hs6"] for s in taken["hs_advice"]["suggested"]] == ["850760", "850761", "850762"]
    assert "hs_advice" not in other  # line 2 was not flagged
    [overruled] = with_hs_advice(
        document,
        flags,
        [{"line_no": 1, "hs_code": "9503.00", "description": "Toy power bank"}],
        fake,
    )
    assert (
        overruled["hs_advice"]["taken_rank"] is None
        and overruled["hs_advice"]["chosen"] == "9503.00"
    )
    assert fake.asked[-1] == "Toy power bank"  # the changed description is what is looked up
