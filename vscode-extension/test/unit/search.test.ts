import * as assert from 'node:assert/strict';

import { ResponseError, type CancellationToken } from 'vscode-jsonrpc';

import type { SearchAnswer, SearchParams, Snapshot } from '../../src/protocol';
import { SearchController, type SearchState, type SearchTransport } from '../../src/search';
import { snapshot } from './fixtures';

interface Call {
  params: SearchParams;
  token: CancellationToken;
  emit(snapshot: Snapshot): void;
  resolve(answer: SearchAnswer): void;
  reject(error: unknown): void;
  cancelledAt: number | undefined;
}

class FakeServer implements SearchTransport {
  readonly calls: Call[] = [];
  private clock = 0;

  search(params: SearchParams, onSnapshot: (s: Snapshot) => void, token: CancellationToken): Promise<SearchAnswer> {
    return new Promise((resolve, reject) => {
      const call: Call = { params, token, emit: onSnapshot, resolve, reject, cancelledAt: undefined };
      token.onCancellationRequested(() => {
        call.cancelledAt = ++this.clock;
      });
      this.calls.push(call);
    });
  }

  get last(): Call {
    const call = this.calls.at(-1);
    assert.ok(call, 'no search was sent');
    return call;
  }
}

class Timers {
  private queue: { fn: () => void; ms: number; id: number }[] = [];
  private next = 0;
  set = (fn: () => void, ms: number): unknown => {
    const id = ++this.next;
    this.queue.push({ fn, ms, id });
    return id;
  };
  clear = (id: unknown): void => {
    this.queue = this.queue.filter((t) => t.id !== id);
  };
  get pending(): number {
    return this.queue.length;
  }
  /** Runs the timers that are due (all of them: the debounce is the only timer). */
  fire(): void {
    const due = this.queue;
    this.queue = [];
    for (const t of due) {
      t.fn();
    }
  }
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

function setup(limit = 25) {
  const server = new FakeServer();
  const timers = new Timers();
  const states: SearchState[] = [];
  const controller = new SearchController(server, (s) => states.push(s), {
    limit,
    debounceMs: 100,
    setTimer: timers.set,
    clearTimer: timers.clear,
  });
  const paths = () => controller.current.results.map((r) => r.path);
  return { server, timers, states, controller, paths };
}

describe('search controller', () => {
  it('sends one debounced search with a fresh partial-result token', async () => {
    const { server, timers, controller } = setup();
    controller.setQuery('p');
    controller.setQuery('pa');
    controller.setQuery('parse json');
    assert.equal(server.calls.length, 0, 'nothing is sent before the debounce');
    assert.equal(controller.current.busy, true);
    timers.fire();
    await settle();
    assert.equal(server.calls.length, 1);
    const { params } = server.last;
    assert.equal(params.query, 'parse json');
    assert.equal(params.limit, 25);
    assert.equal(params.regex, false);
    assert.equal(typeof params.partialResultToken, 'string');

    controller.setQuery('parse json 2');
    timers.fire();
    await settle();
    assert.notEqual(server.last.params.partialResultToken, params.partialResultToken);
  });

  it('replaces the list with each snapshot and stays busy until the final stage', async () => {
    const { server, timers, controller, paths, states } = setup();
    controller.setQuery('read the status line');
    timers.fire();
    await settle();
    const call = server.last;

    call.emit(snapshot('candidates', ['a.py', 'b.py', 'c.py']));
    assert.deepEqual(paths(), ['a.py', 'b.py', 'c.py']);
    assert.equal(controller.current.stage, 'candidates');
    assert.equal(controller.current.busy, true);

    call.emit(snapshot('light', ['c.py', 'a.py']));
    assert.deepEqual(paths(), ['c.py', 'a.py'], 'replaced, not appended');
    assert.equal(controller.current.busy, true);

    call.emit(snapshot('final', ['c.py']));
    assert.deepEqual(paths(), ['c.py']);
    assert.equal(controller.current.busy, false, 'not busy once the final stage is in');

    const stages = [{ name: 'light', ran: true }, { name: 'heavy', ran: false, reason: 'off' }];
    call.resolve({ ...snapshot('final', ['c.py']), stages });
    await settle();
    assert.deepEqual(paths(), ['c.py']);
    assert.equal(controller.current.busy, false);
    assert.deepEqual(controller.current.stages, stages);
    assert.deepEqual(
      states.map((s) => s.stage).filter((s) => s !== undefined),
      ['candidates', 'light', 'final', 'final'],
    );
  });

  it('ends busy when the answer comes without a final snapshot', async () => {
    const { server, timers, controller, paths } = setup();
    controller.setQuery('x');
    timers.fire();
    await settle();
    server.last.emit(snapshot('candidates', ['a.py']));
    server.last.resolve(snapshot('final', ['b.py']));
    await settle();
    assert.deepEqual(paths(), ['b.py']);
    assert.equal(controller.current.busy, false);
  });

  it('a new query cancels the running one and ignores its late snapshots and answer', async () => {
    const { server, timers, controller, paths } = setup();
    controller.setQuery('first query');
    timers.fire();
    await settle();
    const first = server.last;
    first.emit(snapshot('candidates', ['first.py']));

    controller.setQuery('second query');
    assert.ok(first.token.isCancellationRequested, 'cancelled at once, before the debounce');
    assert.equal(controller.current.busy, true);
    assert.deepEqual(paths(), ['first.py'], 'the old list stays until a snapshot replaces it');

    first.emit(snapshot('light', ['stale.py']));
    first.reject(new ResponseError(-32800, 'cancelled: a newer codesift/search replaced it'));
    await settle();
    assert.deepEqual(paths(), ['first.py']);
    assert.equal(controller.current.error, undefined);

    timers.fire();
    await settle();
    const second = server.last;
    assert.equal(second.params.query, 'second query');
    second.emit(snapshot('candidates', ['second.py']));
    first.resolve(snapshot('final', ['late-first.py']));
    await settle();
    assert.deepEqual(paths(), ['second.py']);
    assert.equal(second.token.isCancellationRequested, false);
  });

  it('toggling regex searches again with regex: true', async () => {
    const { server, timers, controller } = setup();
    controller.setQuery('def \\w+_json');
    timers.fire();
    await settle();
    const first = server.last;
    controller.setRegex(true);
    assert.ok(first.token.isCancellationRequested);
    timers.fire();
    await settle();
    assert.equal(server.last.params.regex, true);
    assert.equal(server.last.params.query, 'def \\w+_json');
    controller.setRegex(true);
    assert.equal(timers.pending, 0, 'no new search when nothing changed');
  });

  it('shows the server message for invalid params (e.g. a bad regex)', async () => {
    const { server, timers, controller } = setup();
    controller.setRegex(true);
    controller.setQuery('(');
    timers.fire();
    await settle();
    server.last.reject(new ResponseError(-32602, "invalid regex '(': missing ): ("));
    await settle();
    assert.equal(controller.current.error, "invalid regex '(': missing ): (");
    assert.equal(controller.current.busy, false);
    assert.deepEqual(controller.current.results, []);
  });

  it('reports other failures and clears busy', async () => {
    const { server, timers, controller } = setup();
    controller.setQuery('x');
    timers.fire();
    await settle();
    server.last.reject(new Error('connection closed'));
    await settle();
    assert.equal(controller.current.error, 'search failed: connection closed');
    assert.equal(controller.current.busy, false);
  });

  it('a cancellation it did not ask for ends busy without an error', async () => {
    const { server, timers, controller, paths } = setup();
    controller.setQuery('x');
    timers.fire();
    await settle();
    server.last.emit(snapshot('candidates', ['a.py']));
    server.last.reject(new ResponseError(-32800, 'cancelled'));
    await settle();
    assert.equal(controller.current.busy, false);
    assert.equal(controller.current.error, undefined);
    assert.deepEqual(paths(), ['a.py']);
  });

  it('an empty query clears the list without asking the server', async () => {
    const { server, timers, controller } = setup();
    controller.setQuery('abc');
    timers.fire();
    await settle();
    server.last.emit(snapshot('candidates', ['a.py']));
    const running = server.last;
    controller.setQuery('   ');
    assert.ok(running.token.isCancellationRequested);
    assert.equal(timers.pending, 0);
    assert.deepEqual(controller.current.results, []);
    assert.equal(controller.current.busy, false);
    assert.equal(server.calls.length, 1);
  });

  it('dispose cancels the running search and stops updates', async () => {
    const { server, timers, controller, states } = setup();
    controller.setQuery('abc');
    timers.fire();
    await settle();
    const running = server.last;
    const before = states.length;
    controller.dispose();
    assert.ok(running.token.isCancellationRequested);
    running.emit(snapshot('candidates', ['a.py']));
    running.resolve(snapshot('final', ['a.py']));
    await settle();
    controller.setQuery('more');
    assert.equal(states.length, before);
    assert.equal(timers.pending, 0);
  });

  it('does not search again for the query it is already showing', async () => {
    const { server, timers, controller } = setup();
    controller.setQuery('abc');
    timers.fire();
    await settle();
    controller.setQuery('abc'); // e.g. the picker echoing a programmatic value
    assert.equal(server.last.token.isCancellationRequested, false);
    assert.equal(timers.pending, 0);
  });
});
