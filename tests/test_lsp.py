"""The language server end to end: a real LSP client over stdio (pytest-lsp)."""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types as t
from pygls.exceptions import JsonRpcException
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

from codesift.lsp.server import plain_json_converter

from .conftest import STDLIB
from .wire import connect, frame, free_port, read_message

WORKSPACE: Path | None = None


class Client(LanguageClient):
    """A test client that also keeps codesift's ranking snapshots."""

    snapshots: dict[Any, list[dict[str, Any]]]


def make_client() -> Client:
    client = Client(converter_factory=plain_json_converter)
    client.snapshots = {}
    default_progress = DEFAULT_CLIENT_FEATURES[t.PROGRESS]

    def progress(ls: Client, params: t.ProgressParams) -> None:
        value = params.value
        if isinstance(value, dict) and "kind" not in value:
            ls.snapshots.setdefault(params.token, []).append(value)
        else:
            default_progress(ls, params)

    register_lsp_features(client, {**DEFAULT_CLIENT_FEATURES, t.PROGRESS: progress})
    return client


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("lsp") / "ws"
    for name in ("json", "http"):
        shutil.copytree(STDLIB / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("textwrap.py", "shlex.py"):
        shutil.copy(STDLIB / name, root / name)
    return root


# a real `codesift serve` over stdio, as every language-server test file starts it
SERVER = ClientServerConfig(server_command=[sys.executable, "-m", "codesift", "serve"],
                            client_factory=make_client)


async def open_folder(client: Client, root: Path, options: dict[str, Any] | None = None
                      ) -> None:
    """initialize + initialized, as VS Code sends them, with ``root`` as the folder."""
    await client.initialize_session(t.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"),
        workspace_folders=[t.WorkspaceFolder(root.as_uri(), root.name)],
        initialization_options=options))


@pytest_lsp.fixture(config=SERVER)
async def client(lsp_client: Client, workspace: Path, tmp_path: Path, tiny_models):
    root = tmp_path / "ws"
    shutil.copytree(workspace, root)
    lsp_client.root = root  # type: ignore[attr-defined]
    await open_folder(lsp_client, root, {"index": {"index_dir": str(tmp_path / "index")},
                                         "rerank": {"heavy_model": str(tiny_models[1]),
                                                    "interactive_budget_ms": 0,
                                                    "background_embed": False,
                                                    # every stage runs: streaming is tested
                                                    "confident_exit": 0}})
    yield
    await lsp_client.shutdown_session()


async def wait_indexed(client: Client, timeout: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = await client.protocol.send_request_async("codesift/status", {})
        roots = status["roots"]
        if roots and all(not r["indexing"] and r["files"] > 0 for r in roots):
            return status
        await asyncio.sleep(0.1)
    raise AssertionError("indexing did not finish")


async def search(client: Client, query: str, token: str | None = None, **extra
                 ) -> dict[str, Any]:
    params = {"query": query, "limit": 5, **extra}
    if token:
        params["partialResultToken"] = token
    return await client.protocol.send_request_async("codesift/search", params)


def uri(client: Client, rel: str) -> str:
    return (client.root / rel).as_uri()  # type: ignore[attr-defined]


async def eventually(check, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if result or time.monotonic() > deadline:
            return result
        await asyncio.sleep(0.05)


async def test_indexing_reports_progress_then_search_streams_snapshots(client: Client):
    status = await wait_indexed(client)
    root = status["roots"][0]
    assert root["files"] >= 10 and "python" in root["languages"]
    reports = [v for values in client.progress_reports.values() for v in values]
    kinds = [r.kind for r in reports]
    assert kinds[0] == "begin" and kinds[-1] == "end"
    assert any(isinstance(r, t.WorkDoneProgressReport) and "files" in (r.message or "")
               for r in reports)

    result = await search(client, "read the status line of an HTTP response", token="s1")
    snaps = client.snapshots["s1"]
    assert [s["stage"] for s in snaps] == ["candidates", "light", "final"]
    assert result["stage"] == "final" and result["results"] == snaps[-1]["results"]
    hit = result["results"][0]
    assert set(hit) >= {"uri", "range", "symbol", "kind", "language", "snippet", "score",
                        "stage"}
    assert hit["uri"].startswith("file://") and hit["stage"] == "final"
    assert {"candidates", "light", "heavy", "total"} <= set(result["timings_ms"])
    assert [s["name"] for s in result["stages"]] == ["light", "heavy"]
    assert any("http/client.py" in h["uri"] for h in result["results"])


async def test_unsaved_edit_then_saved_change_are_searchable(client: Client):
    await wait_indexed(client)
    doc = uri(client, "textwrap.py")
    text = (client.root / "textwrap.py").read_text()  # type: ignore[attr-defined]
    client.text_document_did_open(t.DidOpenTextDocumentParams(
        t.TextDocumentItem(uri=doc, language_id="python", version=1, text=text)))
    client.text_document_did_change(t.DidChangeTextDocumentParams(
        t.VersionedTextDocumentIdentifier(uri=doc, version=2),
        [t.TextDocumentContentChangeWholeDocument(
            text=text + "\n\ndef frobnicate_quasar_widget():\n    return 42\n")]))

    async def found_unsaved():
        result = await search(client, "frobnicate_quasar_widget")
        return [h for h in result["results"] if h["symbol"] == "frobnicate_quasar_widget"]

    assert await eventually(found_unsaved)
    # the file on disk never had it: closing the buffer brings the disk version back
    client.text_document_did_close(t.DidCloseTextDocumentParams(
        t.TextDocumentIdentifier(doc)))

    async def gone():
        return not await found_unsaved()

    assert await eventually(gone)

    new_file = client.root / "orbital.py"  # type: ignore[attr-defined]
    new_file.write_text("def compute_orbital_transfer_window(a, b):\n    return a - b\n")

    async def found_on_disk():
        result = await search(client, "compute_orbital_transfer_window")
        return [h for h in result["results"] if h["uri"].endswith("orbital.py")]

    assert await eventually(found_on_disk)
    new_file.unlink()
    assert await eventually(lambda: _not(found_on_disk))


async def _not(check) -> bool:
    return not await check()


async def test_cancel_and_superseded_searches(client: Client):
    await wait_indexed(client)
    first = asyncio.ensure_future(search(client, "parse the headers of an email message"))
    await asyncio.sleep(0.01)
    second = await search(client, "split a command line into words like a shell")
    assert second["stage"] == "final"
    with pytest.raises(JsonRpcException) as info:
        await first
    assert info.value.code == -32800  # RequestCancelled

    pending = asyncio.ensure_future(client.protocol.send_request_async(
        "codesift/search", {"query": "encode a python object as json text"},
        msg_id="cancel-me"))
    await asyncio.sleep(0.05)  # the request is on its way and running
    started = time.monotonic()
    client.protocol.notify(t.CANCEL_REQUEST, t.CancelParams(id="cancel-me"))
    with pytest.raises(JsonRpcException) as info:
        await pending
    assert info.value.code == -32800
    assert time.monotonic() - started < 1.0
    after = await search(client, "encode a python object as json text")  # still serving
    assert after["results"]


async def test_hover_code_action_and_workspace_symbol(client: Client):
    await wait_indexed(client)
    doc = uri(client, "json/__init__.py")
    source = (client.root / "json/__init__.py").read_text()  # type: ignore[attr-defined]
    client.text_document_did_open(t.DidOpenTextDocumentParams(
        t.TextDocumentItem(uri=doc, language_id="python", version=1, text=source)))
    lines = source.split("\n")
    line = next(i for i, x in enumerate(lines) if "_default_decoder.decode(s)" in x)
    col = lines[line].index("decode(s)") + 2
    hover = await client.text_document_hover_async(t.HoverParams(
        t.TextDocumentIdentifier(doc), t.Position(line, col)))
    assert hover is not None and "Relevant code" in hover.contents.value
    assert "[`json/decoder.py:" in hover.contents.value  # the path as a code span

    actions = await client.text_document_code_action_async(t.CodeActionParams(
        t.TextDocumentIdentifier(doc), t.Range(t.Position(line, col), t.Position(line, col)),
        t.CodeActionContext(diagnostics=[])))
    assert actions and actions[0].command == "codesift.relevantCode"
    blank = next(i for i, x in enumerate(lines) if x == "")
    assert not await client.text_document_code_action_async(t.CodeActionParams(
        t.TextDocumentIdentifier(doc), t.Range(t.Position(blank, 0), t.Position(blank, 0)),
        t.CodeActionContext(diagnostics=[])))  # no light bulb on an empty line
    locations = await client.workspace_execute_command_async(t.ExecuteCommandParams(
        actions[0].command, actions[0].arguments))
    assert locations and any(loc["uri"].endswith("json/decoder.py") for loc in locations)

    symbols = await client.workspace_symbol_async(t.WorkspaceSymbolParams("JSONDecoder"))
    assert symbols and symbols[0].name == "JSONDecoder"
    assert symbols[0].location.uri.endswith("json/decoder.py")


async def test_bad_requests_get_errors_and_the_server_survives(client: Client):
    await wait_indexed(client)
    for bad in ({}, {"query": ""}, {"query": "x", "limit": 0}, {"query": "x", "limit": "5"},
                {"query": "x", "paths": "src"}, {"query": "(", "regex": True}, ["query"]):
        with pytest.raises(JsonRpcException) as info:
            await client.protocol.send_request_async("codesift/search", bad)
        assert info.value.code == -32602, bad  # InvalidParams
    with pytest.raises(JsonRpcException):
        await client.workspace_execute_command_async(t.ExecuteCommandParams(
            "codesift.relevantCode", ["not enough"]))
    ok = await search(client, "dedent text")
    assert ok["results"]
    status = await client.protocol.send_request_async("codesift/status", {})
    assert "codesift/codesift-bi-l6-int8" in json.dumps(status["models"])


def test_tcp_server_without_folders_answers_and_exits(tmp_path):
    import subprocess

    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "codesift", "serve", "--tcp",
                               f"127.0.0.1:{port}"], stderr=subprocess.PIPE)
    try:
        conn = connect(port)
        with conn, conn.makefile("rb") as reader:
            def call(msg_id: int, method: str, params: Any) -> dict[str, Any]:
                conn.sendall(frame({"jsonrpc": "2.0", "id": msg_id, "method": method,
                                     "params": params}))
                while True:
                    message = read_message(reader)
                    if message.get("id") == msg_id:
                        return message

            init = call(1, "initialize", {"capabilities": {}, "rootUri": None,
                                          "initializationOptions": {
                                              "index": {"index_dir": str(tmp_path)}}})
            assert init["result"]["serverInfo"]["name"] == "codesift"
            conn.sendall(frame({"jsonrpc": "2.0", "method": "initialized", "params": {}}))
            search = call(2, "codesift/search", {"query": "anything at all"})
            assert search["result"]["results"] == [] and search["result"]["stage"] == "final"
            assert call(3, "workspace/symbol", {"query": "Foo"})["result"] == []
            assert call(4, "shutdown", None)["result"] is None
            conn.sendall(frame({"jsonrpc": "2.0", "method": "exit", "params": None}))
        assert server.wait(timeout=15) == 0
    finally:
        if server.poll() is None:
            server.kill()
        server.wait(timeout=10)


async def test_folders_and_settings_change_live(client: Client, tmp_path: Path):
    await wait_indexed(client)
    # settings replace the initialization options as a whole: keep the test's index dir
    index = {"index_dir": str(tmp_path / "index")}
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "telemetry.py").write_text("def flush_telemetry_spool(queue):\n    return queue\n")
    client.workspace_did_change_workspace_folders(t.DidChangeWorkspaceFoldersParams(
        t.WorkspaceFoldersChangeEvent(added=[t.WorkspaceFolder(extra.as_uri(), "extra")],
                                      removed=[])))

    async def found():
        result = await search(client, "flush_telemetry_spool")
        return [h for h in result["results"] if h["uri"].endswith("telemetry.py")]

    assert await eventually(found, timeout=30)

    client.workspace_did_change_configuration(t.DidChangeConfigurationParams(
        settings={"codesift": {"index": index, "rerank": {"light_model": ""}}}))

    async def light_off():
        result = await search(client, "read the status line of an HTTP response")
        return [s for s in result["stages"] if s["name"] == "light"
                and s.get("reason") == "rerank.light_model is empty"]

    assert await eventually(light_off, timeout=30)
    client.workspace_did_change_configuration(t.DidChangeConfigurationParams(
        settings={"codesift": {"index": index, "rerank": {"light_modle": "x"}}}))
    await eventually(lambda: _messages(client), timeout=10)
    assert any("light_modle" in m.message for m in client.messages)


async def test_search_without_limit_keeps_final_k_results(client: Client, tmp_path: Path):
    await wait_indexed(client)

    async def count() -> int:
        result = await client.protocol.send_request_async(
            "codesift/search", {"query": "parse the value"})
        return len(result["results"])

    assert await count() == 10  # rerank.final_k's default
    client.workspace_did_change_configuration(t.DidChangeConfigurationParams(
        settings={"codesift": {"index": {"index_dir": str(tmp_path / "index")},
                               "rerank": {"final_k": 4, "interactive_budget_ms": 0}}}))
    assert await eventually(lambda: _is(count, 4), timeout=30)
    with pytest.raises(JsonRpcException):  # null is not "absent"
        await client.protocol.send_request_async("codesift/search",
                                                 {"query": "x", "limit": None})


async def _is(check, expected) -> bool:
    return await check() == expected


async def _messages(client: Client) -> bool:
    return bool(client.messages)
