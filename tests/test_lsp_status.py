"""``codesift/status`` answers while a long search holds the query thread."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest_lsp

from .conftest import copy_packages
from .test_lsp import SERVER, Client, open_folder, wait_indexed


@pytest_lsp.fixture(config=SERVER)
async def client(lsp_client: Client, tmp_path: Path):
    root = copy_packages(tmp_path / "ws")
    await open_folder(lsp_client, root, {"index": {"index_dir": str(tmp_path / "index")},
                                         "rerank": {"interactive_budget_ms": 0,
                                                    "background_embed": False}})
    yield
    await lsp_client.shutdown_session()


async def test_status_does_not_wait_for_a_running_search(client: Client):
    await wait_indexed(client)
    # cold models, no budget: the light stage embeds the whole pool first (seconds)
    search = asyncio.ensure_future(client.protocol.send_request_async(
        "codesift/search", {"query": "how are cookies parsed from response headers"}))
    await asyncio.sleep(0.3)
    asked = time.monotonic()
    status = await client.protocol.send_request_async("codesift/status", {})
    answered = time.monotonic() - asked
    assert status["roots"][0]["files"] > 0
    assert not search.done(), "the search finished first: nothing was tested"
    result = await search
    assert result["results"]
    assert answered < 2.0, answered


async def test_both_models_are_loaded_after_indexing_before_any_search(client: Client):
    """The first search's time budget goes to scoring, not to loading the models."""
    await wait_indexed(client)
    deadline = time.monotonic() + 30
    models: dict = {}
    while time.monotonic() < deadline:
        models = (await client.protocol.send_request_async("codesift/status", {}))["models"]
        if {"codesift-bi-l6", "codesift-cross-l6"} <= set(models):
            break
        await asyncio.sleep(0.2)
    assert {"codesift-bi-l6", "codesift-cross-l6"} <= set(models), models
