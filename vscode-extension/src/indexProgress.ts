// The status bar item's content, from the server's indexing and background embedding
// progress and its status. No `vscode` import.

import { EMBED_TOKEN_PREFIX, INDEX_TOKEN_PREFIX, type ProgressToken, type Status } from './protocol';
import { formatNumber, totalFiles, uriBaseName } from './render';

export interface WorkDoneValue {
  kind: 'begin' | 'report' | 'end';
  title?: string;
  message?: string;
  percentage?: number;
}

export interface StatusBarView {
  text: string;
  tooltip: string;
}

interface Running {
  title: string;
  message: string | undefined;
  percentage: number | undefined;
}

export function isIndexToken(token: ProgressToken): boolean {
  return typeof token === 'string' && token.startsWith(INDEX_TOKEN_PREFIX);
}

export function isEmbedToken(token: ProgressToken): boolean {
  return typeof token === 'string' && token.startsWith(EMBED_TOKEN_PREFIX);
}

/** "$(sync~spin) CodeSift: <verb> 42%" (the mean over folders) and a line per folder. */
function runningView(verb: string, runs: Running[], footer: string): StatusBarView {
  const known = runs.filter((r) => r.percentage !== undefined);
  const percent =
    known.length > 0
      ? Math.round(known.reduce((s, r) => s + (r.percentage ?? 0), 0) / known.length)
      : undefined;
  const text = `$(sync~spin) CodeSift: ${verb}${percent !== undefined ? ` ${percent}%` : '…'}`;
  const tooltip = runs.map((r) => [r.title, r.message].filter(Boolean).join(': ')).join('\n');
  return { text, tooltip: `${tooltip}\n${footer}` };
}

export class IndexProgress {
  private readonly running = new Map<ProgressToken, Running>();
  private readonly embedding = new Map<ProgressToken, Running>();
  private status: Status | undefined;
  private lastMessage: string | undefined;
  private failed: string | undefined;

  /** Feeds one `$/progress` value. Returns true when it was about indexing or
   * embedding; the caller then refreshes the status bar (and, on `end`, asks for status). */
  onProgress(token: ProgressToken, value: WorkDoneValue): boolean {
    const runs = isIndexToken(token) ? this.running : isEmbedToken(token) ? this.embedding : undefined;
    if (runs === undefined) {
      return false;
    }
    if (value.kind === 'begin') {
      runs.set(token, {
        title: value.title ?? (runs === this.running ? 'Indexing' : 'Embedding'),
        message: value.message,
        percentage: value.percentage,
      });
      this.failed = undefined;
    } else if (value.kind === 'report') {
      const run = runs.get(token);
      if (run !== undefined) {
        run.message = value.message ?? run.message;
        run.percentage = value.percentage ?? run.percentage;
      }
    } else if (value.kind === 'end') {
      runs.delete(token);
      this.lastMessage = value.message;
    }
    return true;
  }

  /** True while any index token is between begin and end. */
  get indexing(): boolean {
    return this.running.size > 0;
  }

  /** True while any embed token is between begin and end. */
  get embeddingRunning(): boolean {
    return this.embedding.size > 0;
  }

  /** True when the server's status says a folder is (still) indexing although no
   * progress is running here (the caller then polls status). */
  get indexingPerStatus(): boolean {
    return this.status?.roots.some((r) => r.indexing) ?? false;
  }

  /** Forgets every running progress (the server stopped: its tokens are gone). */
  clearRuns(): void {
    this.running.clear();
    this.embedding.clear();
  }

  /** A new server: nothing known yet (its status says "starting" until it reports). */
  reset(): void {
    this.clearRuns();
    this.status = undefined;
    this.failed = undefined;
    this.lastMessage = undefined;
  }

  setStatus(status: Status): void {
    this.status = status;
  }

  setFailed(message: string | undefined): void {
    this.failed = message;
  }

  view(): StatusBarView {
    if (this.failed !== undefined) {
      return { text: '$(error) CodeSift', tooltip: `CodeSift: ${this.failed}\nClick for details.` };
    }
    // indexing first: embedding follows it, and searches wait for the index
    if (this.running.size > 0) {
      return runningView('indexing', [...this.running.values()], 'Click for status.');
    }
    if (this.status !== undefined && this.indexingPerStatus) {
      return {
        text: '$(sync~spin) CodeSift: indexing…',
        tooltip: `${formatNumber(totalFiles(this.status))} files so far\nClick for status.`,
      };
    }
    if (this.status !== undefined && notYetIndexed(this.status)) {
      // roots not opened yet, or their first index not finished: not "0 files"
      return { text: '$(sync~spin) CodeSift: starting…', tooltip: 'CodeSift: starting…\nClick for status.' };
    }
    if (this.embedding.size > 0) {
      return runningView(
        'embedding',
        [...this.embedding.values()],
        'Searches may rank partially until it finishes.\nClick for status.',
      );
    }
    if (this.status !== undefined) {
      const files = totalFiles(this.status);
      const folders = this.status.roots.map(
        (r) => `${uriBaseName(r.uri)}: ${formatNumber(r.files)} files, ${formatNumber(r.chunks)} chunks`,
      );
      const tooltip = [...folders, this.lastMessage, 'Click for status.']
        .filter((l) => l !== undefined && l !== '')
        .join('\n');
      return { text: `$(search) CodeSift: ${formatNumber(files)} files`, tooltip };
    }
    return { text: '$(sync~spin) CodeSift: starting…', tooltip: 'CodeSift: starting…\nClick for status.' };
  }
}

/** No root yet, or a root whose first index has not completed. */
function notYetIndexed(status: Status): boolean {
  return status.roots.length === 0 || status.roots.some((r) => r.last_update === null);
}
