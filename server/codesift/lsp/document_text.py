"""The text of a document a client names: its open buffer, or else the file, read
under the scan's rule (a regular file inside a root, within the size limit)."""

from __future__ import annotations

from ..errors import UserError
from ..scan import decode, read_named
from .session import CodesiftServer


def document_text(ls: CodesiftServer, uri: str) -> str:
    """The document's text; a UserError says why a file cannot be read."""
    opened = ls.workspace.text_documents.get(uri)
    if opened is not None:
        return opened.source
    located = ls.require_engine().locate(uri)
    if located is None:
        raise UserError(f"{uri} is not inside a workspace folder")
    root, rel = located
    return decode(read_named(root.path / rel, root.config.scan.max_file_bytes, uri))
