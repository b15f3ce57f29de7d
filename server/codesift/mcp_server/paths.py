"""Path arguments from an agent: resolved (symlinks and ``..`` followed) and refused
when they leave every workspace root."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..errors import UserError


def inside_roots(roots: Sequence[Path], raw: str, field: str = "path") -> tuple[Path, Path]:
    """(root, resolved absolute path) for a path given relative to a root or absolute.

    A relative path is tried against each root in turn; the first root that holds the
    resolved path wins. Anything that resolves outside every root is refused."""
    if not isinstance(raw, str) or not raw.strip():
        raise UserError(f"{field}: expected a non-empty path")
    if "\x00" in raw:
        raise UserError(f"{field}: a path cannot contain NUL")
    given = Path(raw).expanduser()
    bases = [given] if given.is_absolute() else [root / given for root in roots]
    for candidate in bases:
        resolved = candidate.resolve()
        for root in roots:
            real_root = root.resolve()
            if resolved == real_root or resolved.is_relative_to(real_root):
                return root, resolved
    names = ", ".join(str(r) for r in roots) or "(none)"
    raise UserError(f"{field}: {raw!r} is outside the workspace roots ({names}); "
                    "only files inside them can be read")
