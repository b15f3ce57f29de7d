"""pygls' protocol, made to answer every request (JSON-RPC 2.0 says each request gets
a response): params that do not fit their type are InvalidParams (-32602), a
notification sent with an id and any request after shutdown are InvalidRequest
(-32600). pygls' default drops such messages and shows the user an error for each;
here they are logged, never shown."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from cattrs import transform_error
from lsprotocol import types as t
from pygls.exceptions import JsonRpcInvalidParams, JsonRpcInvalidRequest
from pygls.protocol import LanguageServerProtocol

log = logging.getLogger(__name__)


@dataclass
class Unanswerable:
    """A request that could not be structured, kept so it can be answered."""

    id: Any
    method: str
    error: t.ResponseError
    jsonrpc: str = "2.0"


def _error(exc: Exception, message: str) -> t.ResponseError:
    return t.ResponseError(exc.code, message)  # type: ignore[attr-defined]


class AnsweringProtocol(LanguageServerProtocol):
    def structure_message(self, data: dict[str, Any]) -> Any:
        try:
            message = super().structure_message(data)
        except Exception as exc:
            if not (isinstance(data, dict) and "id" in data and "method" in data):
                log.info("dropping a malformed notification: %s", exc)
                return None
            method = str(data["method"])
            kind = self.get_message_type(method)
            if kind is not None and "Notification" in kind.__name__:
                error = _error(JsonRpcInvalidRequest(),
                               f"{method} is a notification: it must not carry an id")
            else:
                error = _error(JsonRpcInvalidParams(),
                               f"invalid params for {method}: {_reason(exc)}")
            return Unanswerable(data["id"], method, error)
        if isinstance(data, dict) and "jsonrpc" in data and "id" in data and "method" in data \
                and not hasattr(message, "id"):
            return Unanswerable(data["id"], str(data["method"]), _error(
                JsonRpcInvalidRequest(), f"{data['method']} is a notification: it must not "
                                         "carry an id"))
        return message

    def handle_message(self, message: Any) -> None:
        if isinstance(message, Unanswerable):
            log.info("answering %s with error %s", message.method, message.error.message)
            self._send_response(message.id, error=message.error)
            return
        method = getattr(message, "method", "")
        if self._shutdown and method != t.EXIT and getattr(message, "id", None) is not None:
            self._send_response(message.id, error=_error(
                JsonRpcInvalidRequest(), f"{method}: the server is shutting down"))
            return
        if message is None:
            return
        super().handle_message(message)


def _reason(exc: Exception) -> str:
    """The first concrete problem, e.g. "expected a string @ $.params.query"."""
    cause = exc.__cause__ or exc
    if isinstance(cause, BaseExceptionGroup):
        problems = transform_error(cause, path="$")
        if problems:
            return "; ".join(problems[:3])[:300]
    text = str(cause).split("\n")[0]
    return text[:300] or type(cause).__name__
