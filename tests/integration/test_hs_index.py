"""The HS suggestion index on the real nomenclature and the offline wordllama model: known
product descriptions find their subheading among the first five, the matched words are the
nomenclature's, and nothing touches the network."""

from __future__ import annotations

import socket

import pytest

from adapters.customs.hs_suggest import HsIndex, default_index, load_wordllama


@pytest.fixture(scope="module")
def index() -> HsIndex:
    return default_index()  # built once per process


@pytest.mark.parametrize(
    ("description", "material", "hs6"),
    [
        ("rechargeable li-ion battery pack", None, "850760"),
        ("USB-C wall charger power adapter", None, "850440"),
        ("LED light bulb E27", None, "853952"),
        ("men's crew neck T-shirt", "cotton, knitted", "610910"),
        ("PVC yoga mat", None, "950691"),
        ("green tea loose leaf", None, "090210"),
        ("matte liquid lipstick", None, "330410"),
        ("plush teddy bear", "polyester", "950300"),
        ("Bicycle light set USB", None, "851210"),
        ("bluetooth earbuds", None, "851830"),
    ],
)
def test_a_known_description_has_its_subheading_in_the_top_five(index, description, material, hs6):
    found = [s.hs6 for s in index.suggest(description, material, k=5)]
    assert hs6 in found, found


def test_a_phone_case_lands_in_the_cases_heading_even_where_the_subheading_text_is_odd(index):
    # Rulings put silicone phone cases in 4202.99, whose nomenclature text here speaks of
    # vulcanised fibre and paperboard: the heading (cases and containers) is what is found.
    found = index.suggest("silicone phone case", "silicone")
    assert "4202" in {s.heading for s in found}, [s.hs6 for s in found]


def test_suggestions_say_which_words_matched_and_carry_their_parents_texts(index):
    best = index.suggest("rechargeable li-ion battery pack")[0]
    assert best.hs6 == "850760"
    assert {"lithium", "accumulator"} <= set(best.matched_words)
    assert "pack" not in best.matched_words  # the nomenclature never says "pack"
    assert best.heading == "8507" and "accumulators" in best.heading_text.lower()
    assert best.chapter == "85" and "electrical" in best.chapter_text.lower()
    assert best.score >= index.suggest("rechargeable li-ion battery pack")[1].score


def test_lexical_scores_are_scikit_learns_tf_idf_cosines(index):
    from sklearn.feature_extraction.text import TfidfVectorizer

    from domains.customs.hs_suggest import words

    reference = TfidfVectorizer(analyzer=words, sublinear_tf=True)
    matrix = reference.fit_transform([e.indexed_text() for e in index.entries])
    for query in ("rechargeable lithium battery battery", "cotton T-shirt", "zzz unknown"):
        expected = (matrix @ reference.transform([query]).T).toarray().ravel()
        assert abs(index.lexical.cosines(words(query)) - expected).max() < 1e-5, query


def test_the_index_states_what_it_was_built_from(index):
    v = index.version()
    assert v["subheadings"] == len(index.entries) > 5000
    assert v["embedding"].startswith("wordllama 0.4") and v["fusion"]["method"] == "weighted"
    assert index.build_seconds > 0 and index.memory_bytes > 1_000_000


def test_the_model_loads_and_embeds_with_the_network_cut_off(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError(f"network use: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    model = load_wordllama(cache_dir=tmp_path)  # an empty cache: nothing to find but the wheel
    assert (tmp_path / "tokenizers" / "l2_supercat_tokenizer_config.json").exists()
    vectors = model.embed(["Electric accumulators; lithium-ion", "Tea, green"], norm=True)
    query = model.embed(["rechargeable lithium battery"], norm=True)[0]
    assert vectors[0] @ query > vectors[1] @ query
