"""Shared fixtures: a workspace made of real standard-library packages."""

from __future__ import annotations

import shutil
import sysconfig
from pathlib import Path

import pytest

from codesift.config import Config
from codesift.index.indexer import sync
from codesift.index.store import Store
from codesift.workspace import Workspace

STDLIB = Path(sysconfig.get_paths()["stdlib"])
PACKAGES = ("json", "email", "html", "urllib", "http", "logging")


def copy_packages(dest: Path, packages=PACKAGES) -> Path:
    for name in packages:
        shutil.copytree(STDLIB / name, dest / name,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return dest


def stdlib_heads(count: int, chars: int) -> list[str]:
    """Heads of real modules: code, indentation, doc comments, non-ASCII."""
    files = sorted(STDLIB.glob("*.py"))[:count]
    return [p.read_text(encoding="utf-8", errors="replace")[:chars] for p in files]


def make_config(index_dir: Path) -> Config:
    config = Config()
    config.index.index_dir = str(index_dir)
    return config


@pytest.fixture(scope="session")
def stdlib_index(tmp_path_factory) -> tuple[Workspace, Store]:
    """A read-only indexed copy of a few stdlib packages (tests must not modify it)."""
    base = tmp_path_factory.mktemp("stdlib")
    root = copy_packages(base / "ws")
    workspace = Workspace(root, make_config(base / "index"))
    store = workspace.open_store()
    sync(workspace, store)
    return workspace, store


@pytest.fixture(scope="session")
def tiny_corpus(tmp_path_factory) -> Path:
    """A few real stdlib modules (read-only: copy before changing anything)."""
    root = tmp_path_factory.mktemp("tiny") / "ws"
    shutil.copytree(STDLIB / "json", root / "json", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("textwrap.py", "shlex.py", "fnmatch.py"):
        shutil.copy(STDLIB / name, root / name)
    return root


@pytest.fixture(scope="session")
def tiny_models(tiny_corpus, tmp_path_factory) -> tuple[Path, Path]:
    """A tiny bi-encoder and cross-encoder (real ONNX graphs, real tokenizer)."""
    from .tiny_models import save_model, train_tokenizer

    tok = train_tokenizer([p.read_text(encoding="utf-8") for p in tiny_corpus.rglob("*.py")])
    base = tmp_path_factory.mktemp("models")
    return (save_model(base / "bi", tok, "bi-encoder"),
            save_model(base / "cross", tok, "cross-encoder"))
