"""Broken framing never kills or deafens the server: an enormous Content-Length, junk
without a newline, a lower-case header, LF-only line ends and a wrong length are
survived, and the next well-formed message is answered."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from .conftest import STDLIB
from .test_lsp_fuzz import Server, request


def body(message: dict) -> bytes:
    return json.dumps(message).encode()


def test_the_stream_resynchronises_after_broken_frames(tmp_path: Path):
    root = tmp_path / "ws"
    root.mkdir()
    shutil.copy(STDLIB / "shlex.py", root / "shlex.py")
    server = Server(root, tmp_path)
    assert server.proc.stdin is not None
    try:
        server.send(request(1, "initialize", {
            "processId": None, "rootUri": root.as_uri(), "capabilities": {},
            "initializationOptions": {"rerank": {"enabled": False}}}))
        assert "result" in server.answers({1})[1]
        status = body(request(2, "codesift/status", {}))
        raw = server.proc.stdin
        raw.write(b"Content-Length: 1000000000000\r\n\r\n" + body({"jsonrpc": "2.0"}))
        raw.write(b"Content-Length: %d\r\n\r\n%s" % (len(status), status))
        raw.write(b"garbage without any newline at all {{{")
        status3 = body(request(3, "codesift/status", {}))
        raw.write(b"Content-Length: %d\r\n\r\n%s" % (len(status3), status3))
        status4 = body(request(4, "codesift/status", {}))
        raw.write(b"content-length: %d\r\n\r\n%s" % (len(status4), status4))
        status5 = body(request(5, "codesift/status", {}))
        raw.write(b"Content-Length: %d\n\n%s" % (len(status5), status5))
        short = body(request(6, "codesift/status", {}))
        raw.write(b"Content-Length: %d\r\n\r\n%s" % (len(short) - 7, short))
        status7 = body(request(7, "codesift/status", {}))
        raw.write(b"Content-Length: %d\r\n\r\n%s" % (len(status7), status7))
        raw.flush()
        answers = server.answers({3, 4, 5, 7})
        assert all("result" in answers[i] for i in (3, 4, 5, 7)), answers
        assert server.proc.poll() is None  # alive
    finally:
        server.proc.kill()
