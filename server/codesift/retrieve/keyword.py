"""Keyword candidates: FTS5 bm25 over identifier-split chunk text.

The symbol path is its own column, weighted up, so a chunk that *defines* a name
outranks chunks that merely mention it.
"""

from __future__ import annotations

from ..index.store import Store
from ..query import QueryAnalysis
from .candidate import Candidate, json_ids

SYMBOL_WEIGHT = 4.0
BODY_WEIGHT = 1.0


def fts_quote(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def match_expression(analysis: QueryAnalysis) -> str | None:
    """An FTS5 query: for identifiers, the whole name or all its parts together;
    for words, any form or synonym of any term."""
    if analysis.route == "symbol" and analysis.terms:
        groups = []
        for term in analysis.terms:
            whole, *parts = term.forms
            if parts:
                groups.append(f"{fts_quote(whole)} OR ({' AND '.join(map(fts_quote, parts))})")
            else:
                groups.append(fts_quote(whole))
        return " OR ".join(f"({g})" for g in groups)
    forms = analysis.all_forms
    if not forms:
        return None
    return " OR ".join(fts_quote(f) for f in forms)


def keyword_candidates(store: Store, analysis: QueryAnalysis, limit: int,
                       allowed: list[int] | None) -> list[Candidate]:
    expression = match_expression(analysis)
    if expression is None or (allowed is not None and not allowed):
        return []
    sql = (
        "SELECT c.id, c.file_id, f.path, f.language, c.start_line, c.end_line, c.symbol,"
        " c.kind, -bm25(chunk_fts, ?, ?) AS s"
        " FROM chunk_fts JOIN chunks c ON c.id = chunk_fts.rowid"
        " JOIN files f ON f.id = c.file_id WHERE chunk_fts MATCH ?"
    )
    params: list[object] = [SYMBOL_WEIGHT, BODY_WEIGHT, expression]
    if allowed is not None:
        sql += " AND c.file_id IN (SELECT value FROM json_each(?))"
        params.append(json_ids(allowed))
    sql += " ORDER BY bm25(chunk_fts, ?, ?) LIMIT ?"
    params += [SYMBOL_WEIGHT, BODY_WEIGHT, limit]
    out = []
    for cid, fid, path, lang, start, end, symbol, kind, score in store.conn.execute(sql, params):
        out.append(Candidate(fid, path, lang, start, end, symbol, kind, cid,
                             {"keyword": float(score)}))
    return out
