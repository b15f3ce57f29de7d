"""Errors answered to a request the client got wrong are not server errors.

pygls logs every error answer at ERROR with its traceback, so a typo in a regex showed
as a ten-line server error in the editor's output (VS Code prints the server's stderr
there), though the user had already been told in the search box. Answers to invalid
params, to a request before ``initialize`` or after ``shutdown`` are logged at INFO, in
one line; every other error keeps its traceback.
"""

from __future__ import annotations

import logging

from pygls.exceptions import (
    JsonRpcInvalidParams,
    JsonRpcInvalidRequest,
    JsonRpcServerNotInitialized,
)

PYGLS_LOGGER = "pygls.protocol.json_rpc"
MISTAKES = (JsonRpcInvalidParams, JsonRpcInvalidRequest, JsonRpcServerNotInitialized)


class ClientMistakes(logging.Filter):
    """Turns pygls's record of an error answer to a client's mistake into one INFO line."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if not isinstance(error, MISTAKES):
            return True
        record.msg, record.args = "answered %s: %s", (type(error).__name__, error)
        record.levelno, record.levelname = logging.INFO, logging.getLevelName(logging.INFO)
        record.exc_info, record.exc_text = None, None
        return logging.getLogger(record.name).isEnabledFor(logging.INFO)


def install() -> None:
    logger = logging.getLogger(PYGLS_LOGGER)
    if not any(isinstance(f, ClientMistakes) for f in logger.filters):
        logger.addFilter(ClientMistakes())
