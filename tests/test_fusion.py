"""The heavy stage's learned fusion: what it computes, when it steps aside, and that
serving computes the same features as training fits on."""

from __future__ import annotations

import json
import logging
import math

import pytest

from codesift.evaluation.metrics import EvalQuery
from codesift.rerank import fusion
from codesift.rerank.fusion import FEATURES, HeavyEvidence, features
from codesift.search import Searcher, SearchRequest
from training.fusion import collect_question

from .test_rerank import _config_with, indexed  # noqa: F401 (the fixture)

QUERY = "split a string into shell words"


def _ranks(hit) -> dict[str, int]:
    return {place.stage: place.rank for place in hit.why.stages}


def _stream(store, config, query: str = QUERY, limit: int = 10):
    return list(Searcher(store, config).stream(SearchRequest(query, limit=limit)))


def _evidence(hit, light_snapshot) -> HeavyEvidence:
    light_score = {(h.path, h.start_line): h.score for h in light_snapshot.hits}
    ranks = _ranks(hit)
    return HeavyEvidence(light_score[(hit.path, hit.start_line)], hit.scores["heavy"],
                         ranks["heavy"], ranks["light"], hit.scores["light"])


@pytest.fixture()
def bad_weights(tmp_path, monkeypatch):
    """Weights with a NaN: unreadable, so the heavy stage must use rank fusion."""
    bad = tmp_path / "fusion.json"
    bad.write_text(json.dumps({"heavy": {**{name: 1.0 for name in FEATURES}, "heavy": "NaN"}}))
    monkeypatch.setattr(fusion, "WEIGHTS", bad)
    fusion.fusion_weights.cache_clear()
    yield
    fusion.fusion_weights.cache_clear()


def _assert_rank_fusion(snaps) -> None:
    """Every shortlisted score is 0.3 / (k + heavy place) + 0.7 / (k + light place)."""
    light_place = {(h.path, h.start_line): i for i, h in enumerate(snaps[1].hits)}
    for hit in [h for h in snaps[-1].hits if "heavy" in h.scores]:
        expected = (0.3 / (3 + _ranks(hit)["heavy"] - 1)
                    + 0.7 / (3 + light_place[(hit.path, hit.start_line)]))
        assert hit.score == pytest.approx(expected)


def test_heavy_stage_orders_its_shortlist_by_the_learned_fusion(indexed):  # noqa: F811
    workspace, store = indexed
    snaps = _stream(store, _config_with(workspace, confident_exit=0.0))
    final = snaps[-1].hits
    head = [h for h in final if "heavy" in h.scores]
    weights = fusion.fusion_weights()
    assert weights is not None and len(head) == 5
    expected = weights.shown([weights.score(_evidence(h, snaps[1])) for h in head])
    assert [h.score for h in head] == pytest.approx(expected)
    assert head == final[:5]  # the shortlist first, in the fused order
    assert all(a.score >= b.score for a, b in zip(final, final[1:], strict=False))
    # shown as probabilities that tell results apart (a plain sigmoid of the fused score
    # showed 1.000 for all of them)
    assert all(0 < h.score < 0.999 for h in head) and len({round(h.score, 3) for h in head}) > 1


def test_the_shown_probability_rises_with_the_fused_score_and_the_lead():
    weights = fusion.FusionWeights((1.0,) * len(FEATURES), display_scale=0.5,
                                   display_lead=1.0, display_bias=-2.0)
    shown = weights.shown([4.0, 3.0, 1.0])
    expected = [1 / (1 + math.exp(-(0.5 * f + (f - 3.0) - 2.0))) for f in (4.0, 3.0, 1.0)]
    assert shown == pytest.approx(expected)
    assert shown == sorted(shown, reverse=True)
    alone = weights.shown([4.0])  # a shortlist of one leads nobody
    assert alone == pytest.approx([1 / (1 + math.exp(-(0.5 * 4.0 - 2.0)))])
    assert weights.shown([]) == []


def test_unreadable_weights_fall_back_to_rank_fusion(indexed, bad_weights,  # noqa: F811
                                                     caplog):
    workspace, store = indexed
    with caplog.at_level(logging.WARNING, logger="codesift.rerank.fusion"):
        snaps = _stream(store, _config_with(workspace, confident_exit=0.0), limit=5)
    assert "learned fusion unavailable" in caplog.text and "not a finite number" in caplog.text
    _assert_rank_fusion(snaps)


def test_rank_fusion_when_asked(indexed):  # noqa: F811
    workspace, store = indexed
    _assert_rank_fusion(_stream(store, _config_with(workspace, confident_exit=0.0,
                                                    heavy_fusion="rank"), limit=5))


def test_without_the_light_stage_the_heavy_stage_uses_rank_fusion(indexed):  # noqa: F811
    """The weights were fitted on light-ranked shortlists: not used on anything else."""
    workspace, store = indexed
    config = _config_with(workspace, confident_exit=0.0, light_model="")
    result = Searcher(store, config).search(SearchRequest(QUERY, limit=5))
    assert [s.ran for s in result.stages] == [False, True]
    shown = [h.score for h in result.hits]
    assert max(shown) <= 1 / 3 + 1e-9  # a rank-fusion value, not a learned one
    assert shown == sorted(shown, reverse=True)


def test_serving_computes_the_features_training_fits_on(indexed):  # noqa: F811
    workspace, store = indexed
    config = _config_with(workspace, confident_exit=0.0)  # light_keep 5
    snaps = _stream(store, config, limit=100)
    served = {(h.path, h.start_line): features(_evidence(h, snaps[1]))
              for h in snaps[-1].hits if "heavy" in h.scores}
    row = collect_question(Searcher(store, config), EvalQuery(QUERY, ()), "tiny")
    assert row is not None
    cands = row["candidates"]
    head = sorted(range(len(cands)), key=lambda i: -cands[i]["rrf"])[:5]
    heavy_rank = {i: r for r, i in enumerate(sorted(head, key=lambda i: -cands[i]["heavy"]),
                                             start=1)}
    trained = {(cands[i]["path"], cands[i]["start_line"]): features(HeavyEvidence(
        cands[i]["rrf"], cands[i]["heavy"], heavy_rank[i], cands[i]["light_rank"],
        cands[i]["light"])) for i in head}
    assert served.keys() == trained.keys()
    for key, values in served.items():
        assert values == pytest.approx(trained[key], rel=1e-5)
