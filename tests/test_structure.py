"""The package keeps the shape a newcomer can navigate: small files, short functions,
one route -> generators map whose sources all have fusion weights."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import codesift
from codesift.config import FusionWeights
from codesift.kinds import ROUTES
from codesift.retrieve.generators import ROUTE_GENERATORS, SOURCES

PACKAGE = Path(codesift.__file__).parent
MAX_FILE_LINES = 400
MAX_FUNCTION_LINES = 60
EXEMPT_FUNCTIONS = {"build_parser"}  # the argparse builder reads better whole


def test_no_module_over_400_lines_and_no_function_over_60():
    too_long = []
    for path in sorted(PACKAGE.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        if len(source.splitlines()) > MAX_FILE_LINES:
            too_long.append(f"{path.relative_to(PACKAGE)}: {len(source.splitlines())} lines")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and \
                    node.name not in EXEMPT_FUNCTIONS:
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    too_long.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {node.name}: "
                                    f"{length} lines")
    assert too_long == []


def test_every_route_has_generators_and_every_source_a_weight():
    assert set(ROUTE_GENERATORS) == set(ROUTES)
    weights = {f.name for f in dataclasses.fields(FusionWeights)}
    assert set(SOURCES) == weights
    for generators in ROUTE_GENERATORS.values():
        assert generators and all(g.name in SOURCES for g in generators)


def test_sql_lives_only_in_the_store_the_model_cache_and_the_search_log():
    owners = {PACKAGE / "index" / "store.py", PACKAGE / "rerank" / "cache.py",
              PACKAGE / "index" / "search_log.py"}
    offenders = [str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py")
                 if p not in owners and (".execute(" in p.read_text(encoding="utf-8")
                                         or ".conn." in p.read_text(encoding="utf-8"))]
    assert offenders == []
