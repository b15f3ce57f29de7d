"""``codesift mcp`` through the MCP SDK's own client over stdio: tools and schemas,
searches equal to the CLI's, argument errors, path escapes, cancellation, and an MCP
server sharing one index with a language server while files change."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import mcp_types
import pytest
import pytest_lsp
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS

from .conftest import STDLIB, copy_packages
from .test_lsp import SERVER, open_folder, wait_indexed
from .test_lsp import Client as LspClient
from .wire import free_port

CODESIFT = [sys.executable, "-m", "codesift"]


def tiny_root(root: Path, models: tuple[Path, Path]) -> Path:
    shutil.copytree(STDLIB / "json", root / "json", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("textwrap.py", "shlex.py", "fnmatch.py"):
        shutil.copy(STDLIB / name, root / name)
    (root / "codesift.toml").write_text(
        f'[index]\nindex_dir = ".codesift-index"\n[rerank]\nlight_model = "{models[0]}"\n'
        f'heavy_model = "{models[1]}"\n')
    return root


@asynccontextmanager
async def mcp_client(*roots: Path, prefix: tuple[str, ...] = (), **options: Any
                     ) -> AsyncIterator[Client]:
    command = [*prefix, *CODESIFT, "mcp", *map(str, roots)]
    params = StdioServerParameters(command=command[0], args=command[1:],
                                   env={**os.environ, "NO_COLOR": "1"})
    async with Client(params, read_timeout_seconds=120, **options) as client:
        yield client


async def call(client: Client, tool: str, args: dict[str, Any], **kw: Any) -> dict[str, Any]:
    result = await client.call_tool(tool, args, **kw)
    assert not result.is_error, result.content
    data: dict[str, Any] = json.loads(result.content[0].text)  # type: ignore[union-attr]
    return data


async def ready(client: Client, timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = await call(client, "status", {})
        states = [r["progress"]["state"] for r in status["roots"]]
        if states and all(s == "ready" for s in states):
            return status
        await anyio.sleep(0.2)
    raise AssertionError(f"index not ready: {status}")


async def test_tools_are_listed_with_schemas(tmp_path: Path, tiny_models):
    root = tiny_root(tmp_path / "ws", tiny_models)
    async with mcp_client(root) as client:
        listed = {t.name: t for t in (await client.list_tools()).tools}
        assert set(listed) == {"search", "get_code", "relevant_code", "status", "reindex"}
        search = listed["search"].input_schema
        assert search["required"] == ["query"]
        assert {"query", "regex", "path_glob", "language", "limit", "budget_ms"} <= \
            set(search["properties"])
        assert "question" in search["properties"]["query"]["description"]
        assert listed["get_code"].input_schema["required"] == ["path", "start_line"]
        for tool in listed.values():
            assert tool.description and len(tool.description) > 40, tool.name
        assert listed["search"].annotations.read_only_hint  # type: ignore[union-attr]


async def test_search_equals_cli_and_reads_code(tmp_path: Path, tiny_models):
    root = tiny_root(tmp_path / "ws", tiny_models)
    queries = ("split a shell command line into words", "wrap long text to a fixed width",
               "JSONDecodeError")
    stages: list[str] = []

    async def progress(done: float, total: float | None, message: str | None) -> None:
        stages.append(message or "")

    async with mcp_client(root) as client:
        await ready(client)
        for query in queries:
            served = await call(client, "search", {"query": query, "limit": 5},
                                progress_callback=progress)
            assert served["results"] and not served["partial"], served
            cli = subprocess.run([*CODESIFT, "search", query, "--root", str(root), "--json",
                                  "-n", "5", "--no-refresh"], capture_output=True, text=True,
                                 timeout=120)
            assert cli.returncode == 0, cli.stderr
            expected = [(r["path"], r["start_line"], r["end_line"])
                        for r in json.loads(cli.stdout)["results"]]
            got = [(r["path"], r["start_line"], r["end_line"]) for r in served["results"]]
            assert got == expected, query
            assert served["confidence"] == json.loads(cli.stdout)["confidence"], query
            assert all(r["why"] and isinstance(r["matched"], list) for r in served["results"])
        assert any(m.startswith("final") for m in stages), stages
        top = served["results"][0]
        code = await call(client, "get_code", {"path": top["path"],
                                               "start_line": top["start_line"],
                                               "end_line": top["end_line"]})
        lines = (root / top["path"]).read_text().split("\n")
        assert code["text"] == "\n".join(lines[top["start_line"] - 1 : top["end_line"]])
        assert "JSONDecodeError" in code["text"]
        related = await call(client, "relevant_code", {"symbol": "JSONDecodeError"})
        assert related["results"]
        lines = (root / "json/decoder.py").read_text().split("\n")
        line = next(i for i, x in enumerate(lines, 1) if "= self.raw_decode(" in x)
        column = lines[line - 1].index("raw_decode") + 2
        around = await call(client, "relevant_code", {"path": "json/decoder.py", "line": line,
                                                      "column": column})
        assert around["query"] == "raw_decode" and around["results"]
        assert not any(r["path"] == "json/decoder.py" and r["start_line"] <= line
                       <= r["end_line"] for r in around["results"])  # not the place itself
        snippets = [" ".join(r["snippet"].split()) for r in around["results"]]
        assert len(snippets) == len(set(snippets))


async def test_bad_arguments_are_invalid_params_naming_the_field(tmp_path: Path, tiny_models):
    root = tiny_root(tmp_path / "ws", tiny_models)
    async with mcp_client(root) as client:
        cases = [("search", {"query": 5}, "query"), ("search", {}, "query"),
                 ("search", {"query": "x", "limit": 0}, "limit"),
                 ("search", {"query": "("*3, "regex": True}, "regex"),
                 ("get_code", {"path": "textwrap.py", "start_line": "one"}, "start_line"),
                 ("get_code", {"path": "textwrap.py", "start_line": 10, "end_line": 2},
                  "end_line"),
                 ("relevant_code", {"line": 3}, "symbol")]
        for tool, args, field in cases:
            with pytest.raises(MCPError) as caught:
                await client.call_tool(tool, args)
            assert caught.value.error.code == INVALID_PARAMS, (tool, args)
            assert field in caught.value.error.message, caught.value.error.message
        assert (await call(client, "status", {}))["roots"]  # still serving


async def test_paths_outside_the_roots_are_refused(tmp_path: Path, tiny_models):
    root = tiny_root(tmp_path / "ws", tiny_models)
    secret = tmp_path / "secret.txt"
    secret.write_text("password = hunter2\n")
    (root / "link.txt").symlink_to(secret)
    (root / "linkdir").symlink_to(tmp_path)
    async with mcp_client(root) as client:
        for path in ("../secret.txt", str(secret), "link.txt", "linkdir/secret.txt",
                     "json/../../secret.txt", "/etc/passwd"):
            for tool, args in (("get_code", {"path": path, "start_line": 1}),
                               ("relevant_code", {"path": path, "line": 1})):
                with pytest.raises(MCPError) as caught:
                    await client.call_tool(tool, args)
                assert "outside the workspace roots" in caught.value.error.message, path
        inside = await call(client, "get_code", {"path": "json/../shlex.py", "start_line": 1,
                                                 "end_line": 3})
        assert inside["path"] == "shlex.py" and inside["text"]
        os.mkfifo(root / "pipe.py")  # read under the scan's rule: never blocks on it
        (root / "huge.py").write_text("x = 1\n" * 300_000)
        for name, said in (("pipe.py", "not a regular file"), ("huge.py", "larger than")):
            with pytest.raises(MCPError) as caught:
                await client.call_tool("get_code", {"path": name, "start_line": 1})
            assert said in caught.value.error.message, caught.value.error.message


async def test_cancelled_search_stops_and_the_server_goes_on(tmp_path: Path):
    root = copy_packages(tmp_path / "ws")  # shipped models: a cold full ranking takes time
    async with mcp_client(root) as client:
        await ready(client)
        with anyio.move_on_after(0.2) as scope:
            await client.call_tool("search", {"query": "how are cookies parsed from headers"})
        assert scope.cancelled_caught
        await anyio.sleep(0.5)
        status = await call(client, "status", {})
        assert "total" not in status["latency_ms"], status["latency_ms"]  # it never finished
        done = await call(client, "search", {"query": "how are cookies parsed from headers"})
        assert done["results"]
        status = await call(client, "status", {})
        assert status["latency_ms"]["total"]["n"] == 1


@pytest_lsp.fixture(config=SERVER)
async def lsp(lsp_client: LspClient, tmp_path: Path, tiny_models):
    root = tiny_root(tmp_path / "ws", tiny_models)
    lsp_client.root = root  # type: ignore[attr-defined]
    await open_folder(lsp_client, root)
    yield
    await lsp_client.shutdown_session()


async def found_by_both(mcp: Client, lsp: LspClient, name: str) -> bool:
    served = await call(mcp, "search", {"query": name, "limit": 3})
    edited = await lsp.protocol.send_request_async("codesift/search",
                                                   {"query": name, "limit": 3})
    return all(any(r["symbol"] == name for r in answer["results"])
               for answer in (served, edited))


async def test_mcp_and_language_server_share_one_index_while_files_change(lsp: LspClient):
    root: Path = lsp.root  # type: ignore[attr-defined]
    await wait_indexed(lsp)
    async with mcp_client(root) as client:
        await ready(client)
        names = [f"shared_index_marker_{i}" for i in range(12)]
        for i, name in enumerate(names):  # both servers' watchers see every change
            (root / f"added_{i}.py").write_text(f"def {name}(value):\n    return value\n")
            await anyio.sleep(0.05)
        (root / "shlex.py").unlink()
        pending = list(names)
        deadline = time.monotonic() + 60
        while pending and time.monotonic() < deadline:
            pending = [n for n in pending if not await found_by_both(client, lsp, n)]
            await anyio.sleep(0.3)
        assert not pending, f"lost updates: {pending}"
        gone = await call(client, "search", {"query": "shlex split", "limit": 10})
        assert all(r["path"] != "shlex.py" for r in gone["results"])
        status = await call(client, "status", {})
        assert status["roots"][0]["progress"]["state"] == "ready"
        assert not status["roots"][0]["model_failures"]
    lsp_status = await lsp.protocol.send_request_async("codesift/status", {})
    assert lsp_status["roots"][0]["files"] == status["roots"][0]["files"]


def listening_addresses(port: int) -> set[str]:
    """Local addresses with a TCP socket listening on ``port`` (from /proc/net)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.rsplit(":", 1)
            if state == "0A" and int(hex_port, 16) == port:
                found.add(address)
    return found


async def test_http_mode_listens_on_loopback_only(tmp_path: Path, tiny_models):
    root = tiny_root(tmp_path / "ws", tiny_models)
    port = free_port()
    server = subprocess.Popen([*CODESIFT, "mcp", "--http", str(port), str(root)],
                              stderr=subprocess.PIPE, text=True)
    try:
        said = server.stderr.readline()  # type: ignore[union-attr]
        assert f"http://127.0.0.1:{port}/mcp (loopback only)" in said, said
        deadline = time.monotonic() + 60
        while not listening_addresses(port) and time.monotonic() < deadline:
            await anyio.sleep(0.1)
        assert listening_addresses(port) == {"0100007F"}  # 127.0.0.1, nothing else
        async with Client(f"http://127.0.0.1:{port}/mcp") as client:
            names = {t.name for t in (await client.list_tools()).tools}
            assert "search" in names
            found = await call(client, "search", {"query": "shlex.split", "limit": 3})
            assert found["results"]
    finally:
        server.terminate()
        server.wait(timeout=30)


async def test_the_clients_roots_replace_the_command_line(tmp_path: Path, tiny_models):
    started_on = tiny_root(tmp_path / "ws", tiny_models)
    offered = tmp_path / "offered"
    offered.mkdir()
    (offered / "only_here.py").write_text("def offered_root_marker():\n    return 1\n")

    async def roots(context: Any) -> mcp_types.ListRootsResult:
        return mcp_types.ListRootsResult(roots=[mcp_types.Root(uri=offered.as_uri())])

    async with mcp_client(started_on, list_roots_callback=roots, mode="legacy") as client:
        first = await call(client, "status", {})  # the first call adopts the client's roots
        assert [r["path"] for r in first["roots"]] == [str(offered.resolve())]
        await ready(client)
        found = await call(client, "search", {"query": "offered_root_marker"})
        assert found["results"][0]["path"] == "only_here.py"
        with pytest.raises(MCPError):  # the command line's root is no longer served
            await client.call_tool("get_code", {"path": str(started_on / "shlex.py"),
                                                "start_line": 1})


@pytest.mark.skipif(shutil.which("strace") is None, reason="needs strace")
async def test_the_mcp_server_makes_no_network_call(tmp_path: Path, tiny_models):
    root = tiny_root(tmp_path / "ws", tiny_models)
    trace = tmp_path / "trace.txt"
    strace = ("strace", "-f", "-qq", "-e", "trace=connect,sendto,sendmsg", "-o", str(trace))
    async with mcp_client(root, prefix=strace) as client:
        await ready(client)
        assert (await call(client, "search", {"query": "split shell words"}))["results"]
    calls = [line for line in trace.read_text().splitlines()
             if "AF_INET" in line or "AF_INET6" in line]
    assert calls == [], calls
