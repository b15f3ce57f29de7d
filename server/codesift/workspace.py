"""A workspace: one root folder, its configuration and where its index lives."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .config import Config
from .errors import IndexOwnerError
from .index.location import DB_NAME, LOCK_NAME, index_dir_for
from .index.private import FILE_MODE, private_folder
from .index.store import Store
from .scan import IndexPolicy

if TYPE_CHECKING:
    import filelock


@dataclass(frozen=True)
class Workspace:
    """A root folder with its configuration and index location."""

    root: Path
    config: Config

    @property
    def index_dir(self) -> Path:
        return index_dir_for(self.root, self.config.index.index_dir)

    @property
    def db_path(self) -> Path:
        return self.index_dir / DB_NAME

    def policy(self) -> IndexPolicy:
        """The one rule for which of this root's paths are indexed."""
        return IndexPolicy(self.root, self.config.scan, self.index_dir)

    def open_store(self) -> Store:
        """The index of this root; an index folder that holds another root's index is
        refused (syncing would replace that root's files with this one's)."""
        store = Store(self.db_path)
        owner = store.get_meta("root")
        if owner is None:
            with store.transaction():
                store.set_meta("root", str(self.root.resolve()))
        elif owner != str(self.root.resolve()):
            store.close()
            raise IndexOwnerError(f"the index at {self.index_dir} belongs to {owner}; give "
                                  f"{self.root} its own index folder (index.index_dir)")
        return store

    def lock(self) -> filelock.FileLock:
        import filelock  # only writers lock: a read-only search never loads it

        private_folder(self.index_dir)
        return filelock.FileLock(str(self.index_dir / LOCK_NAME), mode=FILE_MODE)
