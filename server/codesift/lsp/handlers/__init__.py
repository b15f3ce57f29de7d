"""LSP handlers, one module per concern; ``lsp/server.py`` registers them from one
table that says where each runs and whether it changes state (see ``lsp/dispatch.py``).

- ``workspace``: initialize, initialized, folders, settings, shutdown
- ``documents``: didChange, didSave, didClose
- ``search``: codesift/search, codesift/status, codesift/reindex
- ``relevance``: hover, code action, codesift.relevantCode, workspace/symbol
"""
