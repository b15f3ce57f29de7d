"""The Candidate every generator returns and fusion merges."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..errors import FilterError
from ..index.store import ChunkRow, Store, json_ids

__all__ = ["Candidate", "Filters", "json_ids"]


@dataclass
class Candidate:
    """A place in a file worth showing, with one score per generator that found it."""

    file_id: int
    path: str
    language: str
    start_line: int
    end_line: int
    symbol: str | None
    kind: str
    chunk_id: int | None = None
    scores: dict[str, float] = field(default_factory=dict)
    score: float = 0.0
    snippet: str = ""
    # 1-based place in each generator's list and each model stage's order (explanations)
    ranks: dict[str, int] = field(default_factory=dict)
    decided_by: str | None = None  # what placed it when no model did

    @classmethod
    def of_chunk(cls, row: ChunkRow, scores: dict[str, float] | None = None) -> Candidate:
        """A whole indexed chunk as a candidate."""
        return cls(row.file_id, row.path, row.language, row.start_line, row.end_line,
                   row.symbol, row.kind, row.id, dict(scores or {}))



@dataclass(frozen=True)
class Filters:
    """Path globs (gitignore-style) and languages; applied inside each generator."""

    paths: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()

    @property
    def active(self) -> bool:
        return bool(self.paths or self.languages)

    def allowed_file_ids(self, store: Store) -> list[int] | None:
        """File ids passing the filters, or None when nothing is filtered."""
        if not self.active:
            return None
        import pathspec  # only with --path filters

        try:
            spec = pathspec.GitIgnoreSpec.from_lines(self.paths) if self.paths else None
        except (ValueError, re.error) as exc:
            raise FilterError(f"invalid --path glob: {exc}") from None
        langs = {lang.lower() for lang in self.languages}
        return [
            fid for fid, path, language in store.files()
            if (not langs or language in langs) and (spec is None or spec.match_file(path))
        ]
