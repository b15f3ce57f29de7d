"""``codesift mcp``: the engine the language server uses, offered to coding agents as
Model Context Protocol tools (search, get_code, relevant_code, status, reindex)."""
