import * as assert from 'node:assert/strict';

import { SnapshotTracker, isSnapshot, stageRank } from '../../src/snapshots';
import { snapshot } from './fixtures';

describe('snapshot tracker', () => {
  it('orders the stages candidates < light < (unknown) < final', () => {
    assert.ok(stageRank('candidates') < stageRank('light'));
    assert.ok(stageRank('light') < stageRank('heavy'));
    assert.ok(stageRank('heavy') < stageRank('final'));
  });

  it('replaces the list with each snapshot, never appends', () => {
    const tracker = new SnapshotTracker();
    assert.ok(tracker.accept(snapshot('candidates', ['a.py', 'b.py', 'c.py'])));
    assert.deepEqual(tracker.current?.results.map((r) => r.path), ['a.py', 'b.py', 'c.py']);
    assert.ok(tracker.accept(snapshot('light', ['c.py', 'a.py'])));
    assert.deepEqual(tracker.current?.results.map((r) => r.path), ['c.py', 'a.py']);
    assert.equal(tracker.done, false);
    assert.ok(tracker.accept(snapshot('final', ['c.py'])));
    assert.deepEqual(tracker.current?.results.map((r) => r.path), ['c.py']);
    assert.equal(tracker.done, true);
    assert.equal(tracker.count, 3);
  });

  it('takes several snapshots of one stage (multi-root searches advance in lockstep)', () => {
    const tracker = new SnapshotTracker();
    assert.ok(tracker.accept(snapshot('candidates', ['a.py'])));
    assert.ok(tracker.accept(snapshot('candidates', ['b.py'])));
    assert.equal(tracker.current?.results[0]?.path, 'b.py');
  });

  it('ignores a snapshot of an earlier stage and anything after the final one', () => {
    const tracker = new SnapshotTracker();
    tracker.accept(snapshot('light', ['x.py']));
    assert.equal(tracker.accept(snapshot('candidates', ['old.py'])), false);
    assert.equal(tracker.current?.results[0]?.path, 'x.py');
    tracker.accept(snapshot('final', ['y.py']));
    assert.equal(tracker.accept(snapshot('final', ['late.py'])), false);
    assert.equal(tracker.current?.results[0]?.path, 'y.py');
  });

  it('the answer always wins, even after the final snapshot', () => {
    const tracker = new SnapshotTracker();
    tracker.accept(snapshot('final', ['y.py']));
    tracker.finish({ ...snapshot('final', ['z.py']), stages: [] });
    assert.equal(tracker.current?.results[0]?.path, 'z.py');
    assert.equal(tracker.accept(snapshot('light', ['w.py'])), false);
  });

  it('rejects values that are not snapshots', () => {
    const tracker = new SnapshotTracker();
    assert.equal(isSnapshot({ kind: 'report', message: 'x' }), false);
    assert.equal(tracker.accept({ kind: 'begin' } as never), false);
    assert.equal(tracker.current, undefined);
  });
});
