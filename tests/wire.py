"""Raw JSON-RPC for the tests that drive a server below any client library: LSP
framing, a free loopback port, and a connection that waits for the server to listen."""

from __future__ import annotations

import json
import socket
import time
from typing import Any, BinaryIO


def frame(message: dict[str, Any]) -> bytes:
    body = json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def read_message(stream: BinaryIO) -> dict[str, Any]:
    length = 0
    while (line := stream.readline().strip()):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    assert length, "the server stopped"
    message: dict[str, Any] = json.loads(stream.read(length))
    return message


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def connect(port: int, timeout: float = 30) -> socket.socket:
    """A connection to 127.0.0.1:port, retried until the server listens."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return socket.create_connection(("127.0.0.1", port), timeout=30)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
