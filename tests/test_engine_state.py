"""The language server's engine state under concurrency: a real Engine over real
folders and SQLite indexes, with real watcher, index and query threads (no mocks).

The driver thread plays the event loop: it adds and removes folders, changes the
settings and edits buffers, while other threads search, ask for status and change
files on disk (the watchers turn those into index work). A model of what the client
asked for says what the engine must end with."""

from __future__ import annotations

import logging
import random
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from codesift.index.indexer import SyncReport
from codesift.lsp.engine import Engine
from codesift.search import SearchRequest

NO_MODELS = {"light_model": "", "heavy_model": ""}
FOLDERS = 4
DOCS = ("doc_a.py", "doc_b.py")


class Recorder:
    """Engine events (called from the index thread)."""

    def __init__(self) -> None:
        self.failures: list[str] = []

    def index_started(self, root: Path, total: int) -> None:
        pass

    def index_progress(self, root: Path, done: int, total: int) -> None:
        pass

    def embed_progress(self, root: Path, done: int, total: int) -> None:
        pass

    def embed_stopped(self, root: Path, reason: str) -> None:
        pass

    def index_finished(self, root: Path, report: SyncReport | None, error: str | None
                       ) -> None:
        if error is not None:
            self.failures.append(f"{root}: {error}")


class Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.fixture
def errors():
    handler = Errors()
    logger = logging.getLogger("codesift")
    logger.addHandler(handler)
    hook = threading.excepthook
    threading.excepthook = lambda args: handler.messages.append(f"thread: {args.exc_value!r}")
    yield handler.messages
    threading.excepthook = hook
    logger.removeHandler(handler)


def settings(tmp_path: Path, **rerank: Any) -> dict[str, Any]:
    # relative: each folder gets its own index (an absolute one would be shared)
    return {"index": {"index_dir": ".codesift-index"}, "rerank": {**NO_MODELS, **rerank}}


def make_folders(tmp_path: Path, count: int = FOLDERS) -> list[Path]:
    folders = []
    for i in range(count):
        folder = tmp_path / f"folder{i}"
        folder.mkdir()
        for name in DOCS:
            (folder / name).write_text(f"def on_disk_{i}_{name[:-3]}():\n    return {i}\n")
        (folder / "util.py").write_text(f"class Helper{i}:\n    def run(self):\n"
                                        f"        return 'folder {i}'\n")
        folders.append(folder.resolve())
    return folders


def drain(engine: Engine) -> None:
    """Until the index thread has done everything queued so far."""
    engine.submit_index(lambda: None).result(timeout=30)


def indexed_text(engine: Engine, folder: Path, rel: str) -> str | None:
    def read() -> str | None:
        row = engine.roots[folder].writer.file_row(rel)
        return row[5] if row else None
    return engine.submit_index(read).result(timeout=30)


class Model:
    """What the client asked for, in the order it asked: the engine must end here."""

    def __init__(self) -> None:
        self.roots: set[Path] = set()
        self.buffers: dict[Path, dict[str, str]] = {}

    def add(self, folder: Path) -> None:
        if folder not in self.roots:
            self.roots.add(folder)
            self.buffers[folder] = {}

    def remove(self, folder: Path) -> None:
        self.roots.discard(folder)
        self.buffers.pop(folder, None)

    def change(self, folder: Path, rel: str, text: str) -> None:
        if folder in self.roots:  # a document outside every folder is not indexed
            self.buffers[folder][rel] = text

    def close(self, folder: Path, rel: str) -> None:
        if folder in self.roots:
            self.buffers[folder].pop(rel, None)


def drive(engine: Engine, model: Model, folders: list[Path], tmp_path: Path, ops: int,
          seed: int) -> None:
    """The event loop's part: folder, settings and buffer changes in a random order."""
    rng = random.Random(seed)
    for n in range(ops):
        folder = rng.choice(folders)
        rel = rng.choice(DOCS)
        uri = (folder / rel).as_uri()
        roll = rng.random()
        if roll < 0.12:
            engine.add_root(folder)
            model.add(folder)
        elif roll < 0.20:
            engine.remove_root(folder)
            model.remove(folder)
        elif roll < 0.23:
            engine.apply_settings(settings(tmp_path, light_keep=rng.randint(5, 30)))
        elif roll < 0.80:
            text = f"def unsaved_{n}_{folder.name}():\n    return {n}\n"
            engine.buffer_changed(uri, text)
            model.change(folder, rel, text)
        else:
            engine.buffer_closed(uri)
            model.close(folder, rel)
        if rng.random() < 0.3:
            time.sleep(rng.random() * 0.004)


def keep_searching(engine: Engine, stop: threading.Event, seen: list[int],
                   failures: list[str]) -> None:
    queries = ["unsaved", "Helper run", "on_disk", "churn value"]
    try:
        while not stop.is_set():
            request = SearchRequest(random.choice(queries), 10)
            engine.submit_query(lambda r=request: engine.final(r, own_budget=True)
                                ).result(timeout=30)
            engine.status().result(timeout=30)
            seen.append(1)
    except Exception as exc:  # the assertion names it
        failures.append(f"search: {exc!r}")


def keep_writing(folders: list[Path], stop: threading.Event, failures: list[str]) -> None:
    """File events for the watchers: files created, changed and deleted on disk."""
    rng = random.Random(7)
    try:
        n = 0
        while not stop.is_set():
            path = rng.choice(folders) / f"churn_{rng.randint(0, 5)}.py"
            if path.exists() and rng.random() < 0.3:
                path.unlink()
            else:
                path.write_text(f"def churn_value_{n}():\n    return {n}\n")
            n += 1
            time.sleep(0.002)
    except Exception as exc:
        failures.append(f"files: {exc!r}")


def test_concurrent_folder_buffer_and_file_changes_lose_nothing(tmp_path, errors):
    folders = make_folders(tmp_path)
    events = Recorder()
    engine = Engine(events, settings(tmp_path), watch=True)
    model = Model()
    stop = threading.Event()
    searches: list[int] = []
    failures: list[str] = []
    workers = [threading.Thread(target=keep_searching, args=(engine, stop, searches, failures)),
               threading.Thread(target=keep_writing, args=(folders, stop, failures))]
    try:
        for worker in workers:
            worker.start()
        for round_ in range(4):
            drive(engine, model, folders, tmp_path, ops=250, seed=round_)
            drain(engine)
        stop.set()
        for worker in workers:
            worker.join(timeout=30)
        drain(engine)

        assert not failures and not events.failures and not errors, \
            (failures, events.failures, errors)
        assert searches, "no search ran"
        assert set(engine.roots) == model.roots  # no folder change lost or reordered
        for folder in model.roots:
            root = engine.roots[folder]
            assert root.buffers == model.buffers[folder], folder
            for rel in DOCS:  # the index holds the newest buffer text, else the file's
                expected = model.buffers[folder].get(rel, (folder / rel).read_text())
                assert indexed_text(engine, folder, rel) == expected, (folder, rel)
    finally:
        stop.set()
        engine.close()
    assert not engine.roots


def test_a_change_queued_behind_a_folder_change_applies_after_it(tmp_path, errors):
    """Each call is applied in the order it was made, even while the index thread is
    still busy with earlier ones."""
    folder, other = make_folders(tmp_path, 2)
    engine = Engine(Recorder(), settings(tmp_path), watch=False)
    try:
        doc = (folder / "doc_a.py").as_uri()
        engine.add_root(folder)
        engine.buffer_changed(doc, "def typed_before_the_folder_opened():\n    pass\n")
        engine.add_root(other)
        engine.remove_root(other)  # asked for while its add was still queued
        engine.apply_settings(settings(tmp_path, light_keep=7))
        engine.buffer_changed(doc, "def typed_while_reopening():\n    pass\n")
        engine.buffer_closed(doc)
        engine.buffer_changed(doc, "def typed_after_closing():\n    pass\n")
        drain(engine)
        assert set(engine.roots) == {folder}
        assert engine.roots[folder].config.rerank.light_keep == 7
        assert engine.roots[folder].buffers == {
            "doc_a.py": "def typed_after_closing():\n    pass\n"}
        assert indexed_text(engine, folder, "doc_a.py") == \
            "def typed_after_closing():\n    pass\n"
        assert not errors
    finally:
        engine.close()


def test_each_root_runs_with_its_own_budget_and_final_k(tmp_path):
    fast, slow = make_folders(tmp_path, 2)
    (fast / "codesift.toml").write_text("[rerank]\ninteractive_budget_ms = 0\nfinal_k = 3\n")
    (slow / "codesift.toml").write_text("[rerank]\ninteractive_budget_ms = 50\nfinal_k = 7\n")
    engine = Engine(Recorder(), settings(tmp_path), watch=False)
    try:
        engine.add_root(fast)
        engine.add_root(slow)
        drain(engine)
        request = SearchRequest("Helper", 99, budget_ms=1.0)
        plan = {root.path: r for root, r in engine.plan(request, own_budget=True,
                                                         own_limit=True)}
        assert (plan[fast].budget_ms, plan[fast].limit) == (None, 3)
        assert (plan[slow].budget_ms, plan[slow].limit) == (50.0, 7)
        assert all(r == request for _, r in engine.plan(request))
        per_root = dict(engine.submit_query(lambda: engine.final(
            SearchRequest("folder", 99), own_budget=True)).result(timeout=30))
        assert set(per_root) == {fast, slow}
    finally:
        engine.close()


def test_state_changes_only_on_the_index_thread(tmp_path):
    (folder,) = make_folders(tmp_path, 1)
    engine = Engine(Recorder(), settings(tmp_path), watch=False)
    try:
        engine.add_root(folder).result(timeout=30)
        with pytest.raises(AssertionError, match="index thread"):
            engine._close(folder)  # from the wrong thread
        assert set(engine.roots) == {folder}
    finally:
        engine.close()
