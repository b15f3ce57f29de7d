"""LSP framing that survives a broken client: header names in any case, LF-only line
ends, junk before a header, and frames too large to hold. pygls' reader loop reads
through this wrapper; a frame it cannot use is skipped and the stream resynchronises
on the next ``Content-Length`` header instead of going deaf or running out of memory."""

from __future__ import annotations

import asyncio
import logging
import re
import sys
from typing import Any, BinaryIO

from pygls.io_ import StdinAsyncReader, StdoutWriter, run_async

log = logging.getLogger(__name__)
MAX_FRAME_BYTES = 64 * 1024 * 1024
HEADER = re.compile(rb"content-length:[ \t]*(\d+)[ \t]*\r?\n?$", re.IGNORECASE)


class ResyncingReader:
    """``readline``/``readexactly`` as pygls' loop expects them, normalised."""

    def __init__(self, inner: Any):
        self.inner = inner

    async def readline(self) -> bytes:
        line: bytes = await self.inner.readline()
        if not line:
            return line
        found = HEADER.search(line)  # also at the end of junk that had no newline
        if found:
            return b"Content-Length: %d\r\n" % int(found.group(1))
        if not line.strip():
            return b"\r\n"
        return line

    async def readexactly(self, n: int) -> bytes:
        if n > MAX_FRAME_BYTES:  # never read it into memory; resync on the next header
            log.warning("skipping a %d-byte frame (limit %d)", n, MAX_FRAME_BYTES)
            return b"null"
        data: bytes = await self.inner.readexactly(n)
        return data


def serve_stdio(server: Any, stdin: BinaryIO | None = None,
                stdout: BinaryIO | None = None) -> None:
    """pygls' ``start_io`` with the resynchronising reader."""
    import threading

    server._stop_event = threading.Event()
    reader = ResyncingReader(StdinAsyncReader(stdin or sys.stdin.buffer, server.thread_pool))
    server.protocol.set_writer(StdoutWriter(stdout or sys.stdout.buffer))
    try:
        asyncio.run(run_async(stop_event=server._stop_event, reader=reader,  # type: ignore[arg-type]
                              protocol=server.protocol, logger=log,
                              error_handler=server.report_server_error))
    except BrokenPipeError:
        log.error("connection to the client is lost; shutting down")
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.shutdown()
