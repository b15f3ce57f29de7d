"""Background embedding in the language server, and the editor's answer equal to the
CLI's once it has finished (a real server over stdio, a real CLI process, one index)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest_lsp
from lsprotocol import types as t

from .conftest import STDLIB
from .test_lsp import SERVER, Client, open_folder

QUERIES = ("split a shell command line into words", "wrap long text to a fixed width",
           "decode a JSON document into python objects")


@pytest_lsp.fixture(config=SERVER)
async def client(lsp_client: Client, tmp_path: Path, tiny_models):
    root = tmp_path / "ws"
    shutil.copytree(STDLIB / "json", root / "json", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("textwrap.py", "shlex.py"):
        shutil.copy(STDLIB / name, root / name)
    # one configuration for the server and the CLI: the workspace's own file. A budget, as
    # in an editor, but one a loaded test machine cannot overrun with the tiny models (a
    # heavy stage cut short is a different, partial answer, and says so)
    (root / "codesift.toml").write_text(
        f'[index]\nindex_dir = ".codesift-index"\n[rerank]\nlight_model = "{tiny_models[0]}"\n'
        f'heavy_model = "{tiny_models[1]}"\ninteractive_budget_ms = 1000\n')
    lsp_client.root = root  # type: ignore[attr-defined]
    await open_folder(lsp_client, root)
    yield
    await lsp_client.shutdown_session()


async def embedded(client: Client, timeout: float = 120.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = await client.protocol.send_request_async("codesift/status", {})
        roots = status["roots"]
        if roots and roots[0]["embedding"]["state"] == "done" and not roots[0]["indexing"]:
            return roots[0]
        await asyncio.sleep(0.2)
    raise AssertionError(f"background embedding did not finish: {status}")


async def test_background_embedding_then_editor_equals_cli(client: Client):
    root: Path = client.root  # type: ignore[attr-defined]
    status = await embedded(client)
    assert status["embedding"]["done"] == status["embedding"]["total"] == status["chunks"]
    reports = [v for values in client.progress_reports.values() for v in values]
    titles = [v.title for v in reports if isinstance(v, t.WorkDoneProgressBegin)]
    assert any(title.startswith("Embedding") for title in titles), titles
    assert any(isinstance(v, t.WorkDoneProgressEnd) and "embedded" in (v.message or "")
               for v in reports)
    env = {**os.environ, "NO_COLOR": "1"}
    for query in QUERIES:
        served = await client.protocol.send_request_async("codesift/search",
                                                          {"query": query, "limit": 5})
        light = next(s for s in served["stages"] if s["name"] == "light")
        assert light["ran"] and not light.get("unscored"), light
        assert light["cache_hits"] == light["in"]  # everything came from the embedder
        heavy = next(s for s in served["stages"] if s["name"] == "heavy")
        assert not heavy.get("unscored"), heavy
        cli = subprocess.run([sys.executable, "-m", "codesift.cli", "search", query, "--root",
                              str(root), "--json", "-n", "5"], capture_output=True, text=True,
                             env=env, timeout=120)
        assert cli.returncode == 0, cli.stderr
        expected = [(r["path"], r["start_line"], r["end_line"])
                    for r in json.loads(cli.stdout)["results"]]
        got = [(r["path"], r["range"]["start"]["line"] + 1, r["range"]["end"]["line"])
               for r in served["results"]]
        assert got == expected, query
