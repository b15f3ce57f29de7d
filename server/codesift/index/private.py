"""The index holds the full text of every indexed file: its folders are created 0700
and its files 0600 whatever the umask, so other local users cannot read it."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import platformdirs

FOLDER_MODE = 0o700
FILE_MODE = 0o600
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


def cache_home() -> Path:
    """codesift's own folder under the user cache dir."""
    return Path(platformdirs.user_cache_dir("codesift", appauthor=False))


def private_folder(path: Path) -> None:
    """Create ``path`` (and missing parents) and make it 0700; so is codesift's cache
    folder when ``path`` lies inside it."""
    path.mkdir(parents=True, exist_ok=True, mode=FOLDER_MODE)
    os.chmod(path, FOLDER_MODE)
    home = cache_home()
    if path != home and path.is_relative_to(home):
        os.chmod(home, FOLDER_MODE)


def private_file(path: Path) -> None:
    """Create ``path`` empty if missing, and make it 0600.

    An existing database is never opened here: closing any descriptor of a file drops
    every POSIX lock this process holds on it, SQLite's included, so another connection
    of this process (the language server keeps several) would lose its locks ("disk
    I/O error" on its next write)."""
    if not path.exists():
        with contextlib.suppress(FileExistsError):
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_RDWR, FILE_MODE))
    os.chmod(path, FILE_MODE)


def tighten_database(db_path: Path) -> None:
    """SQLite's side files (WAL, shared memory, journal) get the database's mode."""
    for suffix in SQLITE_SIDE_FILES:
        side = Path(f"{db_path}{suffix}")
        with contextlib.suppress(FileNotFoundError, PermissionError):
            os.chmod(side, FILE_MODE)
