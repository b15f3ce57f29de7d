// Ranking snapshots of one codesift/search: each one replaces the whole list.
// No `vscode` import.

import type { SearchAnswer, Snapshot, Stage } from './protocol';

/** Stages in the order the server sends them. A stage this client does not know yet
 * (a future one) is placed after `light` and before `final`. */
export const STAGES: readonly Stage[] = ['candidates', 'light', 'final'];

export function stageRank(stage: Stage): number {
  switch (stage) {
    case 'candidates':
      return 0;
    case 'light':
      return 1;
    case 'final':
      return 3;
    default:
      return 2;
  }
}

/**
 * Keeps the latest snapshot of one search. A snapshot replaces the current one when its
 * stage is not earlier than the current stage; nothing is taken after the final stage
 * (a late notification never overwrites the answer).
 */
export class SnapshotTracker {
  private rank = -1;
  private finished = false;
  private latest: Snapshot | undefined;
  private applied = 0;

  /** A `$/progress` snapshot. Returns true when it became the current list. */
  accept(snapshot: Snapshot): boolean {
    if (this.finished || !isSnapshot(snapshot)) {
      return false;
    }
    const rank = stageRank(snapshot.stage);
    if (rank < this.rank) {
      return false;
    }
    this.rank = rank;
    this.latest = snapshot;
    this.applied++;
    if (snapshot.stage === 'final') {
      this.finished = true;
    }
    return true;
  }

  /** The request's answer: always the final list. */
  finish(answer: SearchAnswer): void {
    this.rank = stageRank('final');
    this.latest = answer;
    this.finished = true;
    this.applied++;
  }

  get current(): Snapshot | undefined {
    return this.latest;
  }

  get done(): boolean {
    return this.finished;
  }

  /** How many snapshots (including the answer) replaced the list. */
  get count(): number {
    return this.applied;
  }
}

export function isSnapshot(value: unknown): value is Snapshot {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Snapshot).stage === 'string' &&
    Array.isArray((value as Snapshot).results)
  );
}
