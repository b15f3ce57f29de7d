"""The crowded tuning corpus: sources linked in without their tests, targets re-pathed,
and reserved code (denylisted crates, dev packages) kept out."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from training.crowded import _crate, _under_any, materialize, prefixed


def test_materialize_links_sources_and_leaves_tests_and_caches_out(tmp_path: Path) -> None:
    source = tmp_path / "src" / "pkg"
    (source / "tests").mkdir(parents=True)
    (source / "__pycache__").mkdir()
    (source / "core.py").write_text("def parse(text):\n    return text.split()\n")
    (source / "tests" / "test_core.py").write_text("def test_parse(): ...\n")
    (source / "__pycache__" / "core.cpython-311.pyc").write_bytes(b"\0")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    materialize(corpus, {"pkg": source})
    linked = corpus / "pkg" / "core.py"
    assert linked.read_text() == (source / "core.py").read_text()
    assert os.stat(linked).st_ino == os.stat(source / "core.py").st_ino  # a link, no copy
    assert not (corpus / "pkg" / "tests").exists()
    assert not (corpus / "pkg" / "__pycache__").exists()
    (linked).unlink()
    materialize(corpus, {"pkg": source})  # an existing folder is kept as it is
    assert not linked.exists()


def test_targets_move_under_their_package_folder() -> None:
    row: dict[str, Any] = {"query": "q", "package": "toml",
           "targets": [{"path": "src/de.rs", "start_line": 3, "end_line": 9}]}
    assert prefixed(row)["targets"] == [{"path": "toml/src/de.rs", "start_line": 3,
                                         "end_line": 9}]
    assert row["targets"][0]["path"] == "src/de.rs"  # the resolved row is not changed


def test_crate_names_and_reserved_folders() -> None:
    assert _crate("serde_json-1.0.152") == "serde_json"
    assert _crate("wasm-bindgen-macro-0.2.83") == "wasm-bindgen-macro"
    assert _crate("golang.org") == "golang.org"
    reserved = [Path("/src/gocode/github.com/fsnotify/fsnotify")]
    assert _under_any(Path("/src/gocode/github.com/fsnotify/fsnotify"), reserved)
    assert _under_any(Path("/src/gocode/github.com/fsnotify"), reserved)  # holds it
    assert _under_any(Path("/src/gocode/github.com/fsnotify/fsnotify/internal"), reserved)
    assert not _under_any(Path("/src/gocode/github.com/google/uuid"), reserved)
