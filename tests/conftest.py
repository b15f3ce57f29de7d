"""Shared fixtures: a workspace made of real standard-library packages."""

from __future__ import annotations

import shutil
import sysconfig
from pathlib import Path

import pytest

from codesift.config import Config
from codesift.index.indexer import Workspace, sync
from codesift.index.store import Store

STDLIB = Path(sysconfig.get_paths()["stdlib"])
PACKAGES = ("json", "email", "html", "urllib", "http", "logging")


def copy_packages(dest: Path, packages=PACKAGES) -> Path:
    for name in packages:
        shutil.copytree(STDLIB / name, dest / name,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return dest


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
