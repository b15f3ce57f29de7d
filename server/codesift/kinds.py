"""Names that travel between layers: query routes, candidate sources, model stages and
the snapshots a search streams. ``Literal`` types let mypy catch a misspelt name."""

from __future__ import annotations

from typing import Literal, get_args

Route = Literal["symbol", "regex", "natural"]
ModelStage = Literal["light", "heavy"]
SnapshotStage = Literal["candidates", "light", "final"]

ROUTES: tuple[Route, ...] = get_args(Route)
MODEL_STAGES: tuple[ModelStage, ...] = get_args(ModelStage)
SNAPSHOTS: tuple[SnapshotStage, ...] = get_args(SnapshotStage)

# ranking approaches ``codesift eval`` compares
APPROACHES = ("lexical", "light", "heavy", "cascade", "dense")
