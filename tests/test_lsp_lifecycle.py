"""Lifecycle messages that must not reset the server: a second initialize, and
configuration changes whose settings are not settings."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types as t
from pygls.exceptions import JsonRpcException

from .conftest import STDLIB
from .test_lsp import SERVER, Client, open_folder, wait_indexed


@pytest_lsp.fixture(config=SERVER)
async def client(lsp_client: Client, tmp_path: Path):
    root = tmp_path / "ws"
    root.mkdir()
    shutil.copy(STDLIB / "shlex.py", root / "shlex.py")
    lsp_client.root = root  # type: ignore[attr-defined]
    lsp_client.index_dir = tmp_path / "index"  # type: ignore[attr-defined]
    await open_folder(lsp_client, root, {"index": {"index_dir": str(tmp_path / "index")},
                                         "rerank": {"enabled": False}})
    yield
    await lsp_client.shutdown_session()


async def test_second_initialize_is_refused(client: Client):
    await wait_indexed(client)
    with pytest.raises(JsonRpcException) as caught:
        await client.initialize_async(t.InitializeParams(
            capabilities=t.ClientCapabilities(), workspace_folders=[]))
    assert caught.value.code == -32600
    status = await client.protocol.send_request_async("codesift/status", {})
    assert len(status["roots"]) == 1 and status["roots"][0]["files"] == 1


async def test_settings_that_are_not_an_object_change_nothing(client: Client):
    await wait_indexed(client)
    before = await client.protocol.send_request_async("codesift/status", {})
    for settings in (None, {}, 42, "garbage", {"codesift": {}}):
        client.workspace_did_change_configuration(t.DidChangeConfigurationParams(settings))
    after = await client.protocol.send_request_async("codesift/status", {})
    assert after["roots"][0]["index_dir"] == before["roots"][0]["index_dir"]
    assert after["roots"][0]["index_dir"].startswith(str(client.index_dir))  # type: ignore[attr-defined]
    found = await client.protocol.send_request_async("codesift/search",
                                                     {"query": "split shell words"})
    assert all(not s["ran"] for s in found["stages"])  # rerank.enabled = false still holds
    shown = [m.message for m in client.messages]
    assert sum("settings must be an object" in m for m in shown) == 3, shown
