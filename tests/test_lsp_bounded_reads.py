"""Documents a client names but never opened are read under the scan's rule: a device,
a FIFO or a file outside every root never hangs or bloats the server."""

from __future__ import annotations

import asyncio
import os
import shutil
import time
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types as t
from pygls.exceptions import JsonRpcInvalidParams

from .conftest import STDLIB
from .test_lsp import SERVER, Client, open_folder, wait_indexed


@pytest_lsp.fixture(config=SERVER)
async def client(lsp_client: Client, tmp_path: Path):
    root = tmp_path / "ws"
    root.mkdir()
    shutil.copy(STDLIB / "shlex.py", root / "shlex.py")
    os.mkfifo(root / "pipe.py")
    (root / "zero.py").symlink_to("/dev/zero")
    lsp_client.root = root  # type: ignore[attr-defined]
    await open_folder(lsp_client, root, {"index": {"index_dir": str(tmp_path / "index")},
                                         "rerank": {"enabled": False}})
    yield
    await lsp_client.shutdown_session()


def hover(client: Client, uri: str) -> t.HoverParams:
    return t.HoverParams(t.TextDocumentIdentifier(uri), t.Position(0, 1))


async def test_devices_fifos_and_outside_files_are_refused_promptly(client: Client):
    root: Path = client.root  # type: ignore[attr-defined]
    await wait_indexed(client)
    named = ["file:///dev/zero", (root / "pipe.py").as_uri(), (root / "zero.py").as_uri(),
             (root.parent / "elsewhere.py").as_uri()]
    (root.parent / "elsewhere.py").write_text("def elsewhere():\n    pass\n")
    for uri in named:
        started = time.monotonic()
        answer = await asyncio.wait_for(
            client.text_document_hover_async(hover(client, uri)), timeout=10)
        assert answer is None, uri
        with pytest.raises(JsonRpcInvalidParams):
            await asyncio.wait_for(client.workspace_execute_command_async(
                t.ExecuteCommandParams("codesift.relevantCode", [
                    uri, {"start": {"line": 0, "character": 0},
                          "end": {"line": 0, "character": 3}}])), timeout=10)
        assert time.monotonic() - started < 5, uri
    status = await asyncio.wait_for(
        client.protocol.send_request_async("codesift/status", {}), timeout=5)
    assert status["roots"][0]["files"] == 1  # the FIFO and the device were never indexed
    answer = await client.text_document_hover_async(hover(client, (root / "shlex.py").as_uri()))
    assert answer is None or answer.contents  # a real file still works
