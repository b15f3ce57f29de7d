import * as assert from 'node:assert/strict';

import { CRASH_WINDOW_MS, CrashRestarts, MAX_CRASH_RESTARTS } from '../../src/crashes';

describe('CrashRestarts', () => {
  it('allows four restarts within three minutes, then none', () => {
    const crashes = new CrashRestarts();
    const allowed = [0, 1, 2, 3, 4].map((i) => crashes.record(1_000 + i * 10_000));
    assert.deepEqual(allowed, [true, true, true, true, false]);
    assert.equal(crashes.recent, MAX_CRASH_RESTARTS + 1);
  });

  it('forgets crashes older than the window', () => {
    const crashes = new CrashRestarts();
    for (let i = 0; i < MAX_CRASH_RESTARTS; i += 1) {
      assert.ok(crashes.record(i));
    }
    assert.ok(crashes.record(CRASH_WINDOW_MS + 10)); // the first four are out of the window
    assert.equal(crashes.recent, 1);
  });
});
