import type { SearchHit, Snapshot, Status } from '../../src/protocol';

export function hit(path: string, line: number, extra: Partial<SearchHit> = {}): SearchHit {
  return {
    uri: `file:///ws/app/${path}`,
    path,
    root: 'file:///ws/app',
    range: { start: { line: line - 1, character: 0 }, end: { line: line + 4, character: 0 } },
    symbol: null,
    kind: null,
    language: 'python',
    snippet: 'def f():\n    pass',
    score: 0.5,
    stage: 'candidates',
    ...extra,
  };
}

export function snapshot(stage: string, paths: string[]): Snapshot {
  return {
    stage,
    results: paths.map((p, i) => hit(p, i + 1, { stage })),
    timings_ms: { total: 12.5 },
  };
}

export function status(extra: Partial<Status> = {}): Status {
  return {
    version: '0.1.0',
    roots: [
      {
        uri: 'file:///ws/app',
        index_dir: '/cache/codesift/3f2a',
        indexing: false,
        files: 2273,
        chunks: 61840,
        symbols: 55012,
        languages: { python: 2250, markdown: 23 },
        last_update: 1764120000.5,
        unsaved_buffers: 1,
        model_failures: {},
        embedding: { state: 'running', done: 12000, total: 61840 },
      },
    ],
    models: { 'codesift-bi-l6': 'codesift/codesift-bi-l6-int8' },
    cache_hit_rate: 0.83,
    latency_ms: { candidates: { p50: 14.2, max: 41, n: 50 } },
    ...extra,
  };
}
