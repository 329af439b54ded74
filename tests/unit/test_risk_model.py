"""The compiled isolation forest (adapters/orders/risk_model.py) scores as scikit-learn does,
and a planted outlier scores above the ordinary orders it was fitted on."""

from __future__ import annotations

import random

from sklearn.ensemble import IsolationForest

from adapters.orders import risk_model


def rows(n=600, seed=3):
    rng = random.Random(seed)
    return [[rng.gauss(4.0, 0.4), rng.gauss(0.0, 0.3), float(rng.randint(1, 3))] for _ in range(n)]


def test_compiled_forest_matches_scikit_learn_and_survives_json(tmp_path):
    data = rows()
    model = risk_model.fit(data, "t-1", trees=30, seed=11)
    reference = IsolationForest(n_estimators=30, max_samples=256, random_state=11).fit(data)
    probes = data[:50] + [[9.0, 3.0, 12.0], [4.0, 0.0, 2.0]]
    # score_samples is the negated anomaly score
    expected = [-s for s in reference.score_samples(probes)]
    got = [model.score(p) for p in probes]
    assert max(abs(a - b) for a, b in zip(got, expected, strict=True)) < 1e-6
    risk_model.save(model, tmp_path / "m.json")
    loaded = risk_model.load(tmp_path / "m.json")
    assert loaded is not None and loaded.version == "t-1"
    assert [loaded.score(p) for p in probes] == got


def test_a_planted_outlier_scores_higher_than_every_ordinary_order():
    data = rows()
    model = risk_model.fit(data, "t-2", trees=50)
    ordinary = max(model.score(r) for r in data[:100])
    # value 9 (e^9 EUR ~ 8,100 against ~55), 3 sd from the customer, 12 lines
    assert model.score([9.0, 3.0, 12.0]) > ordinary


def test_no_fitted_model_means_none(tmp_path):
    assert risk_model.load(tmp_path / "absent.json") is None
