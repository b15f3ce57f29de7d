"""How sure a search is that its first result is right: a number in [0, 1].

Definition: a logistic model over what the final ranking shows about its first result:
the light model's score of it, its lead over the best other light score in the top ten,
the heavy model's lead of the first over the second, and whether an exact definition or
a keyword match found it. Its weights are fitted on the tuning split of the team-written
questions (``training/calibrate.py``), so the number estimates the share of searches like
this one whose first result is right. A search whose model stages did not run gets the
lexical part alone; a regex search is exact by construction (1 when it matched, else 0),
and an identifier query whose first result is an exact definition of it gets at least
``EXACT_DEFINITION``.

Below ``LOW`` the user is told so, with what to try instead.
"""

from __future__ import annotations

import functools
import json
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .retrieve.ast import exact_definition

log = logging.getLogger(__name__)
CALIBRATION = Path(__file__).resolve().parent / "models" / "confidence.json"
FEATURES = ("light_top", "light_lead", "heavy_lead", "exact", "keyword")
LOW = 0.3
# an identifier query whose first result is an exact definition of it: taken as right
# (the early exit pins such a result; it was a correct definition in every measured case)
EXACT_DEFINITION = 0.95
LOW_NOTE = "low confidence: try naming a symbol or a file"


@dataclass(frozen=True)
class Calibration:
    intercept: float
    weights: tuple[float, ...]


@functools.lru_cache(maxsize=1)
def calibration() -> Calibration | None:
    try:
        data = json.loads(CALIBRATION.read_text(encoding="utf-8"))
        weights = tuple(float(data["weights"][name]) for name in FEATURES)
        return Calibration(float(data["intercept"]), weights)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("confidence calibration unavailable (%s); confidence not reported", exc)
        return None


def features(scores: Sequence[dict[str, float]]) -> tuple[float, ...]:
    """The features of a ranking, from its results' per-source and per-stage scores."""
    if not scores:
        return (0.0,) * len(FEATURES)
    top, rest = scores[0], scores[1:10]
    light_top = top.get("light", 0.0)
    others = [s["light"] for s in rest if "light" in s]
    light_lead = light_top - max(others) if "light" in top and others else 0.0
    heavy = [s["heavy"] for s in scores[:2] if "heavy" in s]
    heavy_lead = heavy[0] - heavy[1] if len(heavy) == 2 else 0.0
    exact = 1.0 if exact_definition(top) else 0.0
    keyword = 1.0 if "keyword" in top else 0.0
    return (light_top, light_lead, heavy_lead, exact, keyword)


def confidence(route: str, scores: Sequence[dict[str, float]]) -> float | None:
    """The confidence of a ranking; None when no calibration ships."""
    if route == "regex":
        return 1.0 if scores else 0.0
    if not scores:
        return 0.0
    cal = calibration()
    if cal is None:
        return None
    found = features(scores)
    z = cal.intercept + sum(w * x for w, x in zip(cal.weights, found, strict=True))
    value = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
    if route == "symbol" and found[FEATURES.index("exact")]:
        value = max(value, EXACT_DEFINITION)  # the tuning questions hold no identifiers
    return value


def describe(value: float | None) -> str | None:
    """The note a user sees for a low confidence, else None."""
    return LOW_NOTE if value is not None and value < LOW else None


def json_fields(value: float | None) -> dict[str, Any]:
    """``confidence`` and ``confidence_note`` as every answer carries them."""
    return {"confidence": None if value is None else round(value, 3),
            "confidence_note": describe(value)}


def leading(results: Sequence[Any], first: Any) -> float | None:
    """The confidence of a merged ranking across folders: that of the folder whose result
    ``first`` leads it (one folder: its own; nothing found: the first folder's)."""
    if first is None:
        return results[0].confidence if results else None
    return next((r.confidence for r in results if r.hits and r.hits[0] is first), None)
