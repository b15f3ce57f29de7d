// How results and status look: plain data, turned into VS Code objects by the extension.
// No `vscode` import.

import type { EmbeddingStatus, Location, Range, SearchHit, StageReport, Status } from './protocol';
import type { SearchState } from './search';

export interface ResultItem {
  /** The symbol (`Class.method`), or the file name for a chunk without one. */
  label: string;
  /** `path:line` (1-based), prefixed by the folder name when several folders are open,
   * then why the result is there ("keyword #3 → light #1 → heavy #1"). */
  description: string;
  /** The first non-blank line of the snippet. */
  detail: string;
  /** A codicon id for the result's kind. */
  icon: string;
  hit: SearchHit;
}

const KIND_ICONS: Record<string, string> = {
  function: 'symbol-function',
  method: 'symbol-method',
  class: 'symbol-class',
  impl: 'symbol-class',
  interface: 'symbol-interface',
  trait: 'symbol-interface',
  struct: 'symbol-struct',
  enum: 'symbol-enum',
  constant: 'symbol-constant',
  type: 'symbol-type-parameter',
  module: 'symbol-module',
  namespace: 'symbol-namespace',
};

export function kindIcon(kind: string | null | undefined): string {
  return (kind && KIND_ICONS[kind]) || 'symbol-file';
}

export function baseName(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  return trimmed.slice(trimmed.lastIndexOf('/') + 1) || trimmed;
}

/** The last path segment of a `file:` URI, decoded (the workspace folder's name). */
export function uriBaseName(uri: string): string {
  const name = baseName(uri.replace(/^[a-z]+:\/\/[^/]*/i, ''));
  try {
    return decodeURIComponent(name);
  } catch {
    return name;
  }
}

export const DETAIL_MAX = 160;

export function firstLine(snippet: string, max = DETAIL_MAX): string {
  const line = snippet.split(/\r?\n/).find((l) => l.trim() !== '') ?? '';
  const trimmed = line.trim();
  return trimmed.length > max ? `${trimmed.slice(0, max - 1)}…` : trimmed;
}

/**
 * Escapes `$(name)` so that code such as `$(document).ready` is shown as text: VS Code
 * renders `$(name)` in labels, descriptions and details as an icon.
 */
export function escapeIcons(text: string): string {
  return text.replace(/\$\(/g, '\\$(');
}

export function renderItem(hit: SearchHit, showRoot = false): ResultItem {
  const line = hit.range.start.line + 1;
  const where = `${hit.path}:${line}`;
  return {
    label: escapeIcons(hit.symbol && hit.symbol !== '' ? hit.symbol : baseName(hit.path)),
    description: escapeIcons(
      [showRoot ? `${uriBaseName(hit.root)} · ${where}` : where, hit.why?.summary]
        .filter((part) => part !== undefined && part !== '')
        .join('  ·  '),
    ),
    detail: escapeIcons(firstLine(hit.snippet)),
    icon: kindIcon(hit.kind),
    hit,
  };
}

/** Items for a whole snapshot; folder names are shown when results span folders. */
export function renderItems(results: readonly SearchHit[]): ResultItem[] {
  const roots = new Set(results.map((r) => r.root));
  return results.map((hit) => renderItem(hit, roots.size > 1));
}

const STAGE_LABELS: Record<string, string> = {
  candidates: 'candidates',
  light: 'reranked',
  final: 'final',
};

/** The QuickPick's title for a state: the query stage and the timing. */
export function searchTitle(state: SearchState): string {
  const base = state.regex ? 'CodeSift: Search Code (regex)' : 'CodeSift: Search Code';
  if (state.error !== undefined || state.query.trim() === '') {
    return base;
  }
  if (state.stage === undefined) {
    return `${base} — searching…`;
  }
  const n = state.results.length;
  const parts = [`${n} result${n === 1 ? '' : 's'}`];
  const stage = STAGE_LABELS[state.stage] ?? state.stage;
  parts.push(state.busy ? `${stage}, ranking…` : stage);
  const total = state.timings?.total;
  if (!state.busy && typeof total === 'number') {
    parts.push(`${Math.round(total)} ms`);
  }
  const partial = state.busy ? undefined : rankingSummary(state.stages);
  if (partial !== undefined) {
    parts.push(partial);
  }
  if (!state.busy && typeof state.confidence === 'number') {
    parts.push(state.confidenceNote ?? `confidence ${state.confidence.toFixed(2)}`);
  }
  return `${base} — ${parts.join(', ')}`;
}

/** Reasons for a skipped model stage that leave the ranking complete: the stage was
 * not wanted for this query or by the settings. Any other reason (the time budget, a
 * model that failed) means the stage should have run. */
const COMPLETE_SKIPS = [
  /^rerank\.\w+ is empty/,
  /^regex query/,
  /^reranking switched off/,
  /^early exit/,
  /^fewer than two candidates/,
];

const REASON_MAX = 80;

/**
 * Why the final answer is only partially ranked, from its `stages`, or undefined when
 * it is fully ranked: "partially ranked: 92 unscored" (the time budget left candidates
 * unscored by a model stage) and/or "heavy stage skipped: time budget spent".
 */
export function rankingSummary(stages: readonly StageReport[] | undefined): string | undefined {
  const parts: string[] = [];
  const unscored = (stages ?? []).reduce((n, s) => n + (s.ran && typeof s.unscored === 'number' ? s.unscored : 0), 0);
  if (unscored > 0) {
    parts.push(`partially ranked: ${formatNumber(unscored)} unscored`);
  }
  for (const stage of stages ?? []) {
    const reason = stage.reason ?? '';
    if (stage.ran || COMPLETE_SKIPS.some((re) => re.test(reason))) {
      continue;
    }
    const why = reason.replace(/ before the \w+ stage$/, '') || 'no reason given';
    const text = `${stage.name} stage skipped: ${why.length > REASON_MAX ? `${why.slice(0, REASON_MAX - 1)}…` : why}`;
    if (!parts.includes(text)) {
      parts.push(text); // once, although each folder reports its own stages
    }
  }
  return parts.length > 0 ? parts.join(', ') : undefined;
}

/** The single row shown when there is nothing to pick (an error or no results). */
export function messageRow(state: SearchState): string | undefined {
  if (state.error !== undefined) {
    return `$(error) ${escapeIcons(state.error)}`;
  }
  if (!state.busy && state.stage !== undefined && state.results.length === 0) {
    return 'No results';
  }
  return undefined;
}

/**
 * The editor selection for a result: its lines, without the line break after the last
 * one (the server's range ends at the start of the next line).
 */
export function selectionFor(range: Range): Range {
  const { start, end } = range;
  if (end.character === 0 && end.line > start.line) {
    return { start, end: { line: end.line - 1, character: Number.MAX_SAFE_INTEGER } };
  }
  return range;
}

/** Validates `codesift.relevantCode`'s answer (a list of `{uri, range}`). */
export function toLocations(value: unknown): Location[] {
  if (!Array.isArray(value)) {
    return [];
  }
  return value.filter(
    (v): v is Location =>
      typeof v === 'object' &&
      v !== null &&
      typeof (v as Location).uri === 'string' &&
      isRange((v as Location).range),
  );
}

function isRange(value: unknown): value is Range {
  const r = value as Range;
  return (
    typeof r === 'object' &&
    r !== null &&
    typeof r.start?.line === 'number' &&
    typeof r.start?.character === 'number' &&
    typeof r.end?.line === 'number' &&
    typeof r.end?.character === 'number'
  );
}

/** Where `codesift.relevantCode` was invoked: `[uri, range]` or `[{uri, range|position}]`. */
export function relevantOrigin(args: unknown[]): Location | undefined {
  const [first, second] = args;
  if (typeof first === 'string' && isRange(second)) {
    return { uri: first, range: second };
  }
  if (typeof first === 'object' && first !== null) {
    const item = first as { uri?: unknown; range?: unknown; position?: unknown };
    if (typeof item.uri === 'string') {
      if (isRange(item.range)) {
        return { uri: item.uri, range: item.range };
      }
      const p = item.position as { line?: unknown; character?: unknown } | undefined;
      if (typeof p?.line === 'number' && typeof p.character === 'number') {
        const position = { line: p.line, character: p.character };
        return { uri: item.uri, range: { start: position, end: position } };
      }
    }
  }
  return undefined;
}

// -- status ----------------------------------------------------------------------------

export function formatNumber(n: number): string {
  return Math.round(n)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

export function totalFiles(status: Status): number {
  return status.roots.reduce((sum, r) => sum + (r.files || 0), 0);
}

/** `codesift/status` as text for the output channel. */
export function renderStatus(status: Status, now: number = Date.now()): string {
  const lines: string[] = [`codesift ${status.version}`];
  if (status.roots.length === 0) {
    lines.push('', 'No workspace folder is indexed.');
  }
  for (const root of status.roots) {
    lines.push('', `${uriBaseName(root.uri)}  (${root.uri})`);
    lines.push(`  state:        ${root.indexing ? 'indexing…' : 'up to date'}`);
    lines.push(
      `  indexed:      ${formatNumber(root.files)} files, ${formatNumber(root.chunks)} chunks, ` +
        `${formatNumber(root.symbols)} symbols`,
    );
    const languages = Object.entries(root.languages ?? {})
      .sort((a, b) => b[1] - a[1])
      .map(([name, count]) => `${name} ${formatNumber(count)}`);
    if (languages.length > 0) {
      lines.push(`  languages:    ${languages.join(', ')}`);
    }
    if (root.last_update !== null && root.last_update !== undefined) {
      lines.push(`  last update:  ${formatAge(now / 1000 - root.last_update)} ago`);
    }
    if (root.unsaved_buffers > 0) {
      lines.push(`  unsaved:      ${root.unsaved_buffers} buffer(s) indexed from the editor`);
    }
    const embedding = describeEmbedding(root.embedding);
    if (embedding !== undefined) {
      lines.push(`  embedding:    ${embedding}`);
    }
    lines.push(`  index:        ${root.index_dir}`);
    for (const [model, failure] of Object.entries(root.model_failures ?? {})) {
      lines.push(`  model failed: ${model}: ${failure}`);
    }
  }
  const models = Object.entries(status.models ?? {});
  lines.push('', `models:         ${models.length ? models.map(([k, v]) => `${k} (${v})`).join(', ') : 'none loaded yet'}`);
  if (status.cache_hit_rate !== null && status.cache_hit_rate !== undefined) {
    lines.push(`cache hit rate: ${(status.cache_hit_rate * 100).toFixed(1)}%`);
  }
  const latencies = Object.entries(status.latency_ms ?? {});
  if (latencies.length > 0) {
    lines.push('latency (ms):');
    for (const [stage, s] of latencies) {
      lines.push(`  ${stage.padEnd(11)} p50 ${s.p50.toFixed(1)}, max ${s.max.toFixed(1)} (n=${s.n})`);
    }
  }
  return lines.join('\n');
}

/** A root's background embedding for the status report, e.g.
 * "12,000/89,000 chunks (running)", "89,000 chunks (done)" or "off". */
export function describeEmbedding(embedding: EmbeddingStatus | undefined): string | undefined {
  if (typeof embedding?.state !== 'string') {
    return undefined; // a server without background embedding
  }
  const { state, done, total } = embedding;
  if (typeof done !== 'number' || typeof total !== 'number' || total <= 0) {
    return state;
  }
  switch (state) {
    case 'done':
      return `${formatNumber(total)} chunks (done)`;
    case 'too large':
      return `off: ${formatNumber(total)} chunks, over rerank.background_embed_max_chunks`;
    default:
      return `${formatNumber(done)}/${formatNumber(total)} chunks (${state})`;
  }
}

export function formatAge(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) {
    return `${s}s`;
  }
  if (s < 3600) {
    return `${Math.floor(s / 60)}m`;
  }
  if (s < 86400) {
    return `${Math.floor(s / 3600)}h`;
  }
  return `${Math.floor(s / 86400)}d`;
}

/**
 * Where the query's words are in the opened file: the result's matched places, moved
 * from snippet lines to file lines (the snippet starts at the result's first line).
 * VS Code's QuickPick has no API for highlights of our own (microsoft/vscode#83424), so
 * the words are highlighted in the editor that opens the result instead. The server
 * counts columns in code points, VS Code in UTF-16 units: given the file's lines
 * (`lineText`), columns after an astral character (an emoji) are converted.
 */
export function matchRanges(hit: SearchHit, lineText?: (line: number) => string | undefined): Range[] {
  const first = hit.range.start.line;
  return (hit.why?.matched ?? []).map((m) => {
    const line = first + m.line;
    const text = lineText?.(line);
    const column = (points: number): number => (text === undefined ? points : utf16Column(text, points));
    return { start: { line, character: column(m.start) }, end: { line, character: column(m.end) } };
  });
}

/** A column counted in code points as UTF-16 code units; past the line's end, as is. */
export function utf16Column(text: string, codePoints: number): number {
  let units = 0;
  let seen = 0;
  for (const char of text) {
    if (seen === codePoints) {
      break;
    }
    units += char.length;
    seen += 1;
  }
  return units + Math.max(0, codePoints - seen);
}
