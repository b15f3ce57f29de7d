"""Another process holding the index lock delays index work, never loses it: the
first sync and every watcher batch are retried with backoff until applied."""

from __future__ import annotations

import asyncio
import shutil
import time
from pathlib import Path

import filelock
import pytest_lsp

from codesift.index.location import LOCK_NAME, default_index_dir

from .conftest import STDLIB
from .test_lsp import SERVER, Client, open_folder, wait_indexed


async def found(client: Client, name: str, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = await client.protocol.send_request_async("codesift/search",
                                                          {"query": name, "limit": 3})
        if any(r["symbol"] == name for r in answer["results"]):
            return True
        await asyncio.sleep(0.3)
    return False


@pytest_lsp.fixture(config=SERVER)
async def client(lsp_client: Client, tmp_path: Path):
    root = tmp_path / "ws"
    root.mkdir()
    shutil.copy(STDLIB / "shlex.py", root / "shlex.py")
    index = tmp_path / "index"
    folder = index / default_index_dir(root).name  # the server's per-folder index
    folder.mkdir(parents=True)
    lsp_client.root = root  # type: ignore[attr-defined]
    lsp_client.lock = filelock.FileLock(str(folder / LOCK_NAME))  # type: ignore[attr-defined]
    lsp_client.lock.acquire()  # type: ignore[attr-defined]  # held before the server starts
    await open_folder(lsp_client, root, {"index": {"index_dir": str(index), "lock_timeout_s": 0.5},
                                         "rerank": {"enabled": False}})
    yield
    await lsp_client.shutdown_session()


async def test_index_work_waits_for_a_held_lock_and_loses_nothing(client: Client):
    root: Path = client.root  # type: ignore[attr-defined]
    lock: filelock.FileLock = client.lock  # type: ignore[attr-defined]
    await asyncio.sleep(2)  # the first sync has timed out at least once by now
    (root / "during_first.py").write_text("def made_while_locked_first():\n    pass\n")
    lock.release()
    await wait_indexed(client)
    status = await client.protocol.send_request_async("codesift/status", {})
    assert status["roots"][0]["index_dir"] == str(lock.lock_file.rsplit("/", 1)[0])
    assert await found(client, "split")
    assert await found(client, "made_while_locked_first")
    lock.acquire()
    for i in range(3):  # watcher batches while another process holds the lock
        (root / f"edit_{i}.py").write_text(f"def edited_while_locked_{i}():\n    pass\n")
        await asyncio.sleep(0.7)
    lock.release()
    for i in range(3):
        assert await found(client, f"edited_while_locked_{i}"), i
