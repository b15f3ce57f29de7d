"""Document sync: an unsaved buffer is indexed in place of its file until it is saved
or closed. pygls keeps the documents themselves; the engine indexes them."""

from __future__ import annotations

from lsprotocol import types as t

from ..session import CodesiftServer


def did_change(ls: CodesiftServer, params: t.DidChangeTextDocumentParams) -> None:
    document = ls.workspace.get_text_document(params.text_document.uri)
    ls.require_engine().buffer_changed(document.uri, document.source)


def did_save(ls: CodesiftServer, params: t.DidSaveTextDocumentParams) -> None:
    ls.require_engine().buffer_closed(params.text_document.uri)


def did_close(ls: CodesiftServer, params: t.DidCloseTextDocumentParams) -> None:
    ls.require_engine().buffer_closed(params.text_document.uri)
