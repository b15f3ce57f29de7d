"""A model in the wrong stage is refused with a message naming the setting, instead
of silently changing the ranking."""

from __future__ import annotations

import dataclasses

from codesift.config import Config
from codesift.search import Searcher, SearchRequest


def test_swapped_models_are_refused_by_name(stdlib_index, tiny_models):
    workspace, store = stdlib_index
    bi, cross = (str(p) for p in tiny_models)
    config: Config = workspace.config
    swapped = dataclasses.replace(config, rerank=dataclasses.replace(
        config.rerank, light_model=cross, heavy_model=bi))
    warnings: list[str] = []
    searcher = Searcher(store, swapped)
    searcher.models._warn = warnings.append  # what the user is told, once per setting
    for _ in range(2):
        result = searcher.search(SearchRequest("parse a cookie header", 5))
        stages = {s.name: s for s in result.stages}
        assert not stages["light"].ran and not stages["heavy"].ran
        assert stages["light"].reason.startswith(f"rerank.light_model = {cross!r} is a "
                                                 "cross-encoder")
        assert stages["heavy"].reason.startswith(f"rerank.heavy_model = {bi!r} is a "
                                                 "bi-encoder")
        assert result.hits  # the lexical ranking still answers
    assert len(warnings) == 2, warnings
    right = Searcher(store, dataclasses.replace(config, rerank=dataclasses.replace(
        config.rerank, light_model=bi, heavy_model=cross)))
    stages = {s.name: s for s in right.search(SearchRequest("parse a cookie header", 5)).stages}
    assert stages["light"].ran and stages["heavy"].ran
