"""Where a workspace's index lives: never inside the user's repository."""

from __future__ import annotations

import hashlib
from pathlib import Path

import platformdirs

DB_NAME = "index.sqlite3"
LOCK_NAME = "index.lock"


def default_index_dir(root: Path) -> Path:
    """``$XDG_CACHE_HOME/codesift/<hash of the absolute root>`` (``~/.cache`` by default)."""
    digest = hashlib.sha256(str(root.resolve()).encode("utf-8")).hexdigest()[:16]
    return Path(platformdirs.user_cache_dir("codesift", appauthor=False)) / digest


def index_dir_for(root: Path, configured: str | None) -> Path:
    """The configured folder (relative paths are relative to the root), or the default."""
    if not configured:
        return default_index_dir(root)
    return (root / Path(configured).expanduser()).resolve()
