// The search-as-you-type logic behind "CodeSift: Search Code", independent of the UI.
// No `vscode` import: the extension supplies a transport over its language client and a
// view over a QuickPick; the tests supply fakes or a raw JSON-RPC connection.

import { CancellationTokenSource, type CancellationToken } from 'vscode-jsonrpc';

import {
  ErrorCode,
  errorCode,
  errorMessage,
  isCancellation,
  type SearchAnswer,
  type SearchHit,
  type SearchParams,
  type Snapshot,
  type Stage,
  type StageReport,
} from './protocol';
import { SnapshotTracker } from './snapshots';

export interface SearchTransport {
  /**
   * Sends `codesift/search` with `params` (which carry a fresh `partialResultToken`),
   * calls `onSnapshot` for each `$/progress` value on that token, and resolves with the
   * answer. Cancelling `token` must send `$/cancelRequest`.
   */
  search(
    params: SearchParams,
    onSnapshot: (snapshot: Snapshot) => void,
    token: CancellationToken,
  ): Promise<SearchAnswer>;
}

export interface SearchState {
  query: string;
  regex: boolean;
  /** The current ranking; replaced as a whole on each snapshot. */
  results: SearchHit[];
  /** The stage of `results`, or undefined before the first snapshot of this query. */
  stage: Stage | undefined;
  /** True until the final stage of the current query has arrived. */
  busy: boolean;
  /** A message for the user (for example an invalid regex), or undefined. */
  error: string | undefined;
  /** Timings of the current stage (from the server). */
  timings: Record<string, number> | undefined;
  /** After the final stage: which model stages ran and why others did not. */
  stages: StageReport[] | undefined;
  /** The current snapshot's confidence in its first result, and the note when low. */
  confidence?: number | null;
  confidenceNote?: string | null;
}

export interface SearchOptions {
  limit: number;
  /** Wait this long after the last keystroke before sending (the running search is
   * cancelled at once, not after the wait). */
  debounceMs: number;
  /** Timer functions (tests pass fakes). */
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

let tokenCounter = 0;

/** A partial-result token no other search of this process uses. */
export function nextPartialResultToken(): string {
  tokenCounter += 1;
  return `codesift-search-${tokenCounter}`;
}

/** The part of the state a search fills in: empty before the first and after clearing. */
const NO_RESULTS = {
  results: [],
  stage: undefined,
  busy: false,
  error: undefined,
  timings: undefined,
  stages: undefined,
} satisfies Partial<SearchState>;

export class SearchController {
  private state: SearchState = { query: '', regex: false, ...NO_RESULTS };
  private generation = 0;
  private running: CancellationTokenSource | undefined;
  private timer: unknown;
  private disposed = false;
  private readonly setTimer: (fn: () => void, ms: number) => unknown;
  private readonly clearTimer: (handle: unknown) => void;

  constructor(
    private readonly transport: SearchTransport,
    private readonly onChange: (state: SearchState) => void,
    private readonly options: SearchOptions,
  ) {
    this.setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.clearTimer =
      options.clearTimer ?? ((handle) => clearTimeout(handle as ReturnType<typeof setTimeout>));
  }

  get current(): SearchState {
    return this.state;
  }

  /** The text in the box changed: cancel what runs and search again (debounced). */
  setQuery(query: string): void {
    if (query === this.state.query && (this.state.busy || this.state.stage !== undefined)) {
      return;
    }
    this.restart({ query });
  }

  setRegex(regex: boolean): void {
    if (regex !== this.state.regex) {
      this.restart({ regex });
    }
  }

  /** Stops the running search (if any); no more updates are sent. */
  dispose(): void {
    this.disposed = true;
    this.cancelRunning();
  }

  private update(patch: Partial<SearchState>): void {
    this.state = { ...this.state, ...patch };
    if (!this.disposed) {
      this.onChange(this.state);
    }
  }

  private cancelRunning(): void {
    this.generation++;
    if (this.timer !== undefined) {
      this.clearTimer(this.timer);
      this.timer = undefined;
    }
    if (this.running !== undefined) {
      // cancel() makes the client send $/cancelRequest; dispose() alone would not
      this.running.cancel();
      this.running.dispose();
      this.running = undefined;
    }
  }

  private restart(patch: { query?: string; regex?: boolean }): void {
    if (this.disposed) {
      return;
    }
    this.cancelRunning();
    const next = { ...this.state, ...patch };
    if (next.query.trim() === '') {
      this.update({ ...patch, ...NO_RESULTS });
      return;
    }
    // the previous list stays visible (less flicker) until the first snapshot replaces it
    this.update({ ...patch, busy: true, error: undefined, stage: undefined, stages: undefined });
    const generation = this.generation;
    this.timer = this.setTimer(() => {
      this.timer = undefined;
      void this.run(generation);
    }, this.options.debounceMs);
  }

  private async run(generation: number): Promise<void> {
    if (generation !== this.generation || this.disposed) {
      return;
    }
    const { query, regex } = this.state;
    const source = new CancellationTokenSource();
    this.running = source;
    const tracker = new SnapshotTracker();
    const params: SearchParams = {
      query,
      limit: this.options.limit,
      regex,
      partialResultToken: nextPartialResultToken(),
    };
    const live = () => generation === this.generation && !this.disposed;
    const show = (snapshot: Snapshot, stages?: StageReport[]) =>
      this.update({
        results: snapshot.results,
        stage: snapshot.stage,
        busy: !tracker.done,
        error: undefined,
        timings: snapshot.timings_ms,
        stages,
        confidence: snapshot.confidence,
        confidenceNote: snapshot.confidence_note,
      });
    try {
      const answer = await this.transport.search(
        params,
        (snapshot) => {
          if (live() && tracker.accept(snapshot)) {
            show(snapshot);
          }
        },
        source.token,
      );
      if (live()) {
        tracker.finish(answer);
        show(answer, answer.stages);
      }
    } catch (error) {
      if (!live()) {
        return; // a newer query (or closing the picker) replaced this one
      }
      if (isCancellation(error)) {
        // cancelled by someone else (e.g. the server stopping): keep what was shown
        this.update({ busy: false });
        return;
      }
      const message =
        errorCode(error) === ErrorCode.InvalidParams
          ? errorMessage(error)
          : `search failed: ${errorMessage(error)}`;
      this.update({ results: [], stage: undefined, busy: false, error: message });
    } finally {
      if (this.running === source) {
        this.running = undefined;
        source.dispose();
      }
    }
  }
}
