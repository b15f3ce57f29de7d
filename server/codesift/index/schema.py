"""The index database's schema; a change of ``SCHEMA_VERSION`` rebuilds every index
(the model caches in ``rerank/cache.py`` create their own tables)."""

from __future__ import annotations

SCHEMA_VERSION = 4

SCHEMA = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE files(
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    language TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    hash TEXT NOT NULL,
    content TEXT NOT NULL
);
CREATE TABLE chunks(
    id INTEGER PRIMARY KEY,
    file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
    start_line INTEGER NOT NULL,
    end_line INTEGER NOT NULL,
    start_byte INTEGER NOT NULL,
    end_byte INTEGER NOT NULL,
    symbol TEXT,
    kind TEXT NOT NULL,
    prefix_start INTEGER,
    prefix_end INTEGER,
    text_hash TEXT NOT NULL
);
CREATE INDEX chunks_by_file ON chunks(file_id, start_line);
CREATE TABLE symbols(
    id INTEGER PRIMARY KEY,
    file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
    chunk_id INTEGER NOT NULL REFERENCES chunks(id) ON DELETE CASCADE,
    name TEXT NOT NULL COLLATE NOCASE,
    path TEXT NOT NULL COLLATE NOCASE,
    kind TEXT NOT NULL,
    start_line INTEGER NOT NULL,
    end_line INTEGER NOT NULL
);
CREATE INDEX symbols_by_name ON symbols(name);
CREATE INDEX symbols_by_file ON symbols(file_id);
-- symbols_by_chunk serves the ON DELETE CASCADE from chunks
CREATE INDEX symbols_by_chunk ON symbols(chunk_id);
CREATE TABLE skipped(
    path TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL
) WITHOUT ROWID;
CREATE VIRTUAL TABLE chunk_fts USING fts5(
    symbol, body, content='', tokenize="porter unicode61 tokenchars '_'"
);
CREATE VIRTUAL TABLE symbol_fts USING fts5(
    terms, content='', tokenize="porter unicode61 tokenchars '_'"
);
-- static embeddings of chunks (the dense candidate generator), by chunk text hash
CREATE TABLE chunk_vectors(
    model TEXT NOT NULL,
    doc_key TEXT NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY(model, doc_key)
) WITHOUT ROWID;
CREATE VIRTUAL TABLE file_trigrams USING fts5(
    content, content='files', content_rowid='id', tokenize='trigram', detail='none'
);
"""
