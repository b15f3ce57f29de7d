// Wire shapes of codesift's custom messages (docs/PROTOCOL.md in the repository).
// This module must not import `vscode`: it is shared by the extension and the tests.

export const SEARCH = 'codesift/search';
export const STATUS = 'codesift/status';
export const REINDEX = 'codesift/reindex';
/** Notification: the user opened a result (its rank goes to the local search log). */
export const OPENED = 'codesift/opened';
/** The server's `workspace/executeCommand` command (also offered as a code action). */
export const RELEVANT_CODE = 'codesift.relevantCode';
/** Work-done progress tokens the server creates for indexing start with this. */
export const INDEX_TOKEN_PREFIX = 'codesift-index-';
/** ... and for background embedding (the light model embeds every chunk in idle time). */
export const EMBED_TOKEN_PREFIX = 'codesift-embed-';

/** JSON-RPC / LSP error codes the client treats specially. */
export const ErrorCode = {
  InvalidParams: -32602,
  RequestCancelled: -32800,
  ServerCancelled: -32802,
} as const;

export interface Position {
  line: number;
  character: number;
}

export interface Range {
  start: Position;
  end: Position;
}

export interface Location {
  uri: string;
  range: Range;
}

export type ProgressToken = string | number;

export interface SearchParams {
  query: string;
  limit?: number;
  regex?: boolean;
  paths?: string[];
  languages?: string[];
  workDoneToken?: ProgressToken;
  partialResultToken?: ProgressToken;
}

export interface SearchHit {
  uri: string;
  /** Relative to `root`, with forward slashes. */
  path: string;
  root: string;
  /** Whole lines, zero-based; `end` is the start of the line after the last line. */
  range: Range;
  symbol: string | null;
  kind: string | null;
  language: string | null;
  snippet: string;
  score: number;
  stage: string;
  /** The search's id in the server's search log, echoed back by `codesift/opened`. */
  search_id?: number | null;
  /** Why the result is there (absent from older servers). */
  why?: Why;
}

/** A query word found in the snippet: `line` 0-based in the snippet, `start`/`end`
 * character offsets in that line. */
export interface Match {
  term: string;
  line: number;
  start: number;
  end: number;
}

export interface Why {
  /** "keyword #3 → light #1 → heavy #1" */
  summary: string;
  terms: string[];
  matched: Match[];
  found_by: { source: string; rank: number; score: number }[];
  stages: { stage: string; rank: number; score: number }[];
  decided_by: string | null;
}

export interface OpenedParams {
  searchId: number;
  uri: string;
  rank: number;
}

export type Stage = 'candidates' | 'light' | 'final' | (string & {});

/** A complete ranking: clients replace their list with each one, never append. */
export interface Snapshot {
  stage: Stage;
  results: SearchHit[];
  timings_ms?: Record<string, number>;
  /** 0–1: how likely the first result is right (null: not calibrated). */
  confidence?: number | null;
  /** Set when the confidence is low: what to try instead. */
  confidence_note?: string | null;
}

export interface StageReport {
  root?: string;
  name: string;
  ran: boolean;
  reason?: string;
  model?: string;
  in?: number;
  out?: number;
  ms?: number;
  cache_hits?: number;
  unscored?: number;
}

/** The answer to `codesift/search`: the final snapshot plus a report of the stages. */
export interface SearchAnswer extends Snapshot {
  stages?: StageReport[];
}

export type EmbeddingState = 'waiting' | 'running' | 'done' | 'off' | 'too large' | 'failed' | (string & {});

/** A root's background embedding (`done`/`total` may be absent while `waiting`). */
export interface EmbeddingStatus {
  state: EmbeddingState;
  done?: number;
  total?: number;
}

export interface RootStatus {
  uri: string;
  index_dir: string;
  indexing: boolean;
  files: number;
  chunks: number;
  symbols: number;
  languages: Record<string, number>;
  last_update: number | null;
  unsaved_buffers: number;
  model_failures: Record<string, string>;
  /** Absent from servers older than background embedding. */
  embedding?: EmbeddingStatus;
}

export interface LatencyStats {
  p50: number;
  max: number;
  n: number;
}

export interface Status {
  version: string;
  roots: RootStatus[];
  models: Record<string, string>;
  cache_hit_rate: number | null;
  latency_ms: Record<string, LatencyStats>;
}

/** The `code` of a JSON-RPC error object, if `error` looks like one. */
export function errorCode(error: unknown): number | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = error.code;
    return typeof code === 'number' ? code : undefined;
  }
  return undefined;
}

/** True for the ways a cancelled request comes back: an LSP cancel error code, or the
 * editor's own cancellation error (named "Canceled"). */
export function isCancellation(error: unknown): boolean {
  const code = errorCode(error);
  if (code === ErrorCode.RequestCancelled || code === ErrorCode.ServerCancelled) {
    return true;
  }
  return error instanceof Error && (error.name === 'Canceled' || error.message === 'Canceled');
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) {
    return error.message;
  }
  if (typeof error === 'object' && error !== null && 'message' in error) {
    return String(error.message);
  }
  return String(error);
}
