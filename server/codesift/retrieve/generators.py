"""Which candidate generators run for which query route, in one place.

A generator is a class with a ``name`` (its source name in scores, weights and the JSON
contract), ``semantic`` (whether it joins the lexical pool by reserved places) and
``candidates(analysis, limit, allowed)``. Adding one means adding it to
``ROUTE_GENERATORS`` and giving it a weight in ``config.FusionWeights``.
"""

from __future__ import annotations

from typing import ClassVar, Protocol

from ..config import RetrieveConfig
from ..index.store import Store
from ..kinds import Route
from ..query import QueryAnalysis
from .ast import AstGenerator
from .candidate import Candidate
from .dense import DenseGenerator
from .keyword import KeywordGenerator
from .regex import RegexGenerator


class CandidateGenerator(Protocol):
    """Finds places worth reranking; ``allowed`` (file ids, None for all) applies inside,
    before the ``limit`` cut."""

    name: ClassVar[str]
    # semantic generators join a lexical pool by reserved places (``retrieve.strategy``)
    semantic: ClassVar[bool]

    def __init__(self, store: Store, config: RetrieveConfig) -> None: ...

    def candidates(self, analysis: QueryAnalysis, limit: int, allowed: list[int] | None
                   ) -> list[Candidate]: ...


ROUTE_GENERATORS: dict[Route, tuple[type[CandidateGenerator], ...]] = {
    "symbol": (KeywordGenerator, AstGenerator),
    "natural": (KeywordGenerator, AstGenerator, DenseGenerator),
    "regex": (RegexGenerator,),
}
SOURCES: tuple[str, ...] = tuple(dict.fromkeys(
    g.name for gens in ROUTE_GENERATORS.values() for g in gens))


def build_generators(store: Store, config: RetrieveConfig
                     ) -> dict[Route, list[CandidateGenerator]]:
    """One instance of each generator (they cache per store), listed per route."""
    made: dict[type[CandidateGenerator], CandidateGenerator] = {}
    for gens in ROUTE_GENERATORS.values():
        for g in gens:
            if g not in made:
                made[g] = g(store, config)
    return {route: [made[g] for g in gens] for route, gens in ROUTE_GENERATORS.items()}
