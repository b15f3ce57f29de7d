"""The persistent index: SQLite storage, incremental sync, file watching."""
