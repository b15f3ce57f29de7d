"""Validation of codesift's custom request params (JSON objects from the client)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pygls.exceptions import JsonRpcInvalidParams

MAX_LIMIT = 200


def invalid(message: str) -> JsonRpcInvalidParams:
    error = JsonRpcInvalidParams(message)
    error.message = message
    return error


@dataclass(frozen=True)
class SearchParams:
    query: str
    limit: int | None = None  # None: each root's rerank.final_k
    regex: bool = False
    paths: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    work_done_token: str | int | None = None
    partial_result_token: str | int | None = None


def _strings(value: Any, name: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise invalid(f"'{name}' must be a list of strings")
    return tuple(value)


def _token(value: Any, name: str) -> str | int | None:
    if value is None or (isinstance(value, (str, int)) and not isinstance(value, bool)):
        return value
    raise invalid(f"'{name}' must be a string or an integer")


def parse_search(raw: Any) -> SearchParams:
    if not isinstance(raw, dict):
        raise invalid("codesift/search expects an object with at least 'query'")
    query = raw.get("query")
    if not isinstance(query, str) or not query.strip():
        raise invalid("'query' must be a non-empty string")
    limit = raw.get("limit")  # absent: each root's rerank.final_k
    if "limit" in raw and (not isinstance(limit, int) or isinstance(limit, bool)
                           or not 1 <= limit <= MAX_LIMIT):
        raise invalid(f"'limit' must be an integer from 1 to {MAX_LIMIT}")
    regex = raw.get("regex", False)
    if not isinstance(regex, bool):
        raise invalid("'regex' must be true or false")
    return SearchParams(query, limit, regex, _strings(raw.get("paths"), "paths"),
                        _strings(raw.get("languages"), "languages"),
                        _token(raw.get("workDoneToken"), "workDoneToken"),
                        _token(raw.get("partialResultToken"), "partialResultToken"))


@dataclass(frozen=True)
class OpenedParams:
    search_id: int
    uri: str
    rank: int


def parse_opened(raw: Any) -> OpenedParams:
    """``{"searchId": int, "uri": str, "rank": int >= 1}``, from a result's ``search_id``,
    its ``uri`` and its 1-based place in the list the user saw."""
    if not isinstance(raw, dict):
        raise invalid("codesift/opened expects {searchId, uri, rank}")
    search_id, uri, rank = raw.get("searchId"), raw.get("uri"), raw.get("rank")
    if not isinstance(search_id, int) or isinstance(search_id, bool):
        raise invalid("'searchId' must be an integer (a result's search_id)")
    if not isinstance(uri, str) or not uri:
        raise invalid("'uri' must be a non-empty string")
    if not isinstance(rank, int) or isinstance(rank, bool) or rank < 1:
        raise invalid("'rank' must be an integer >= 1")
    return OpenedParams(search_id, uri, rank)
