import * as assert from 'node:assert/strict';

import {
  baseName,
  describeEmbedding,
  escapeIcons,
  firstLine,
  formatAge,
  formatNumber,
  kindIcon,
  matchRanges,
  utf16Column,
  messageRow,
  rankingSummary,
  relevantOrigin,
  renderItem,
  renderItems,
  renderStatus,
  searchTitle,
  selectionFor,
  toLocations,
  uriBaseName,
} from '../../src/render';
import type { StageReport } from '../../src/protocol';
import type { SearchState } from '../../src/search';
import { hit, status } from './fixtures';

function state(extra: Partial<SearchState>): SearchState {
  return {
    query: 'q',
    regex: false,
    results: [],
    stage: undefined,
    busy: false,
    error: undefined,
    timings: undefined,
    stages: undefined,
    ...extra,
  };
}

describe('result items', () => {
  it('label is the symbol, description path:line (1-based), detail the first snippet line', () => {
    const item = renderItem(
      hit('http/client.py', 287, {
        symbol: 'HTTPResponse._read_status',
        kind: 'method',
        snippet: '\n    def _read_status(self):\n        line = str(self.fp.readline())',
      }),
    );
    assert.equal(item.label, 'HTTPResponse._read_status');
    assert.equal(item.description, 'http/client.py:287');
    assert.equal(item.detail, 'def _read_status(self):');
    assert.equal(item.icon, 'symbol-method');
  });

  it('a chunk without a symbol is labelled with its file name', () => {
    const item = renderItem(hit('docs/guide/README.md', 1, { symbol: null, snippet: '# Guide' }));
    assert.equal(item.label, 'README.md');
    assert.equal(item.description, 'docs/guide/README.md:1');
    assert.equal(item.icon, 'symbol-file');
    assert.equal(renderItem(hit('x.py', 3, { symbol: '' })).label, 'x.py');
  });

  it('code that looks like an icon is escaped', () => {
    const item = renderItem(hit('app.js', 1, { symbol: null, snippet: '$(document).ready(init);' }));
    assert.equal(item.detail, '\\$(document).ready(init);');
    assert.equal(escapeIcons('a $(b) $(c'), 'a \\$(b) \\$(c');
    assert.equal(messageRow(state({ error: "invalid regex '$(': missing )" })), "$(error) invalid regex '\\$(': missing )");
  });

  it('long first lines are cut', () => {
    const long = 'x'.repeat(500);
    assert.equal(firstLine(long).length, 160);
    assert.ok(firstLine(long).endsWith('…'));
    assert.equal(firstLine('   \n\t\n'), '');
    assert.equal(firstLine('a\r\nb'), 'a');
  });

  it('shows the folder name only when results come from several folders', () => {
    const one = renderItems([hit('a.py', 1), hit('b.py', 2)]);
    assert.deepEqual(one.map((i) => i.description), ['a.py:1', 'b.py:2']);
    const two = renderItems([hit('a.py', 1), hit('b.py', 2, { root: 'file:///ws/my%20lib' })]);
    assert.deepEqual(two.map((i) => i.description), ['app · a.py:1', 'my lib · b.py:2']);
  });

  it('maps kinds to icons', () => {
    assert.equal(kindIcon('class'), 'symbol-class');
    assert.equal(kindIcon('trait'), 'symbol-interface');
    assert.equal(kindIcon('no-such-kind'), 'symbol-file');
    assert.equal(kindIcon(null), 'symbol-file');
    assert.equal(baseName('a/b/c.py'), 'c.py');
    assert.equal(uriBaseName('file:///home/me/src/app'), 'app');
  });
});

describe('why and how sure', () => {
  const why = {
    summary: 'keyword #3 → light #1 → heavy #1',
    terms: ['status', 'line'],
    matched: [
      { term: 'status', line: 0, start: 14, end: 20 },
      { term: 'line', line: 1, start: 8, end: 12 },
    ],
    found_by: [{ source: 'keyword', rank: 3, score: 0.8 }],
    stages: [
      { stage: 'light', rank: 1, score: 0.6 },
      { stage: 'heavy', rank: 1, score: 2.1 },
    ],
    decided_by: null,
  };

  it('the description tells why the result is there', () => {
    const item = renderItem(hit('http/client.py', 287, { why }));
    assert.equal(item.description, 'http/client.py:287  ·  keyword #3 → light #1 → heavy #1');
    assert.equal(renderItem(hit('a.py', 1)).description, 'a.py:1'); // an older server
  });

  it('matched words move from snippet lines to file lines', () => {
    assert.deepEqual(matchRanges(hit('http/client.py', 287, { why })), [
      { start: { line: 286, character: 14 }, end: { line: 286, character: 20 } },
      { start: { line: 287, character: 8 }, end: { line: 287, character: 12 } },
    ]);
    assert.deepEqual(matchRanges(hit('a.py', 1)), []);
  });

  it('columns after an astral character become UTF-16 units (VS Code counts those)', () => {
    const lines = new Map([
      [286, '    # 😀 send the request'], // an emoji before the match: two UTF-16 units
      [287, '        plain'],
    ]);
    const ranges = matchRanges(hit('http/client.py', 287, { why }), (line) => lines.get(line));
    const word = { start: 14, end: 20 }; // the fixture's columns, in code points
    assert.deepEqual(ranges[0], {
      start: { line: 286, character: word.start + 1 },
      end: { line: 286, character: word.end + 1 },
    });
    assert.deepEqual(ranges[1], { start: { line: 287, character: 8 }, end: { line: 287, character: 12 } });
    assert.equal(utf16Column('a😀b word', 4), 5);
    assert.equal(utf16Column('a😀b word', 2), 3);
    assert.equal(utf16Column('abc', 7), 7); // past the end: as is
    assert.equal(utf16Column('ab', 0), 0);
  });

  it('the title carries the confidence, or the note when it is low', () => {
    const done = { stage: 'final', results: [hit('a.py', 1)], timings: { total: 120 } };
    assert.equal(
      searchTitle(state({ ...done, confidence: 0.71 })),
      'CodeSift: Search Code — 1 result, final, 120 ms, confidence 0.71',
    );
    assert.equal(
      searchTitle(state({ ...done, confidence: 0.12, confidenceNote: 'low confidence: try naming a symbol or a file' })),
      'CodeSift: Search Code — 1 result, final, 120 ms, low confidence: try naming a symbol or a file',
    );
    assert.ok(!searchTitle(state({ ...done, busy: true, confidence: 0.7 })).includes('confidence'));
  });
});

describe('picker title and message row', () => {
  it('tells the stage, the count and the time', () => {
    assert.equal(searchTitle(state({ query: '' })), 'CodeSift: Search Code');
    assert.equal(searchTitle(state({ busy: true })), 'CodeSift: Search Code — searching…');
    assert.equal(
      searchTitle(state({ busy: true, stage: 'candidates', results: [hit('a.py', 1)] })),
      'CodeSift: Search Code — 1 result, candidates, ranking…',
    );
    assert.equal(
      searchTitle(state({ stage: 'final', results: [hit('a.py', 1), hit('b.py', 1)], timings: { total: 291.6 } })),
      'CodeSift: Search Code — 2 results, final, 292 ms',
    );
    assert.equal(searchTitle(state({ regex: true, error: 'bad' })), 'CodeSift: Search Code (regex)');
  });

  it('says when the final answer is only partially ranked', () => {
    const stages: StageReport[] = [
      { root: 'file:///ws/app', name: 'light', ran: true, in: 100, out: 100, ms: 200, cache_hits: 8, unscored: 92 },
      { root: 'file:///ws/app', name: 'heavy', ran: false, reason: 'time budget spent before the heavy stage' },
    ];
    const final = state({ stage: 'final', results: [hit('a.py', 1)], timings: { total: 230 }, stages });
    assert.equal(
      searchTitle(final),
      'CodeSift: Search Code — 1 result, final, 230 ms, partially ranked: 92 unscored, heavy stage skipped: time budget spent',
    );
    assert.equal(
      searchTitle({ ...final, busy: true, stage: 'light' }),
      'CodeSift: Search Code — 1 result, reranked, ranking…',
      'only the final answer is judged',
    );
  });

  it('sums unscored candidates over folders and stages; names each skipped stage once', () => {
    const light = (root: string, unscored?: number): StageReport => ({ root, name: 'light', ran: true, unscored });
    assert.equal(rankingSummary([light('file:///a', 1200), light('file:///b', 34)]), 'partially ranked: 1,234 unscored');
    const budget: StageReport = { name: 'heavy', ran: false, reason: 'time budget spent before the heavy stage' };
    assert.equal(rankingSummary([light('file:///a'), budget, { ...budget, root: 'file:///b' }]), 'heavy stage skipped: time budget spent');
    assert.equal(
      rankingSummary([{ name: 'light', ran: false, reason: 'model.onnx is missing from /models/minilm' }]),
      'light stage skipped: model.onnx is missing from /models/minilm',
      'a failed model leaves the ranking partial',
    );
    const long = rankingSummary([{ name: 'heavy', ran: false, reason: 'x'.repeat(300) }])!;
    assert.ok(long.length < 120 && long.endsWith('…'), long);
  });

  it('a fully ranked answer, or a stage not wanted, says nothing', () => {
    assert.equal(rankingSummary(undefined), undefined);
    assert.equal(rankingSummary([]), undefined);
    const ran: StageReport = { name: 'light', ran: true, in: 100, out: 20, ms: 183, cache_hits: 61 };
    assert.equal(rankingSummary([ran, { ...ran, name: 'heavy', unscored: 0 }]), undefined);
    for (const reason of [
      'rerank.heavy_model is empty',
      'regex query: exact matches keep their lexical order',
      'reranking switched off',
      'early exit: exact definition JSONDecoder leads by 0.40 (>= 0.05)',
      'fewer than two candidates',
    ]) {
      assert.equal(rankingSummary([ran, { name: 'heavy', ran: false, reason }]), undefined, reason);
    }
    const final = state({ stage: 'final', results: [hit('a.py', 1)], timings: { total: 291.6 }, stages: [ran] });
    assert.equal(searchTitle(final), 'CodeSift: Search Code — 1 result, final, 292 ms');
  });

  it('shows errors and empty results as a row', () => {
    assert.equal(messageRow(state({ error: 'invalid regex' })), '$(error) invalid regex');
    assert.equal(messageRow(state({ stage: 'final', results: [] })), 'No results');
    assert.equal(messageRow(state({ stage: 'candidates', busy: true })), undefined);
    assert.equal(messageRow(state({ stage: 'final', results: [hit('a.py', 1)] })), undefined);
  });
});

describe('locations', () => {
  it('selects whole lines without the line break after the last one', () => {
    const range = { start: { line: 286, character: 0 }, end: { line: 316, character: 0 } };
    assert.deepEqual(selectionFor(range), {
      start: { line: 286, character: 0 },
      end: { line: 315, character: Number.MAX_SAFE_INTEGER },
    });
    const partial = { start: { line: 3, character: 4 }, end: { line: 3, character: 9 } };
    assert.deepEqual(selectionFor(partial), partial);
  });

  it('keeps only well-formed locations from codesift.relevantCode', () => {
    const good = { uri: 'file:///a.py', range: { start: { line: 1, character: 0 }, end: { line: 2, character: 0 } } };
    assert.deepEqual(toLocations([good, { uri: 'x' }, null, { range: good.range }]), [good]);
    assert.deepEqual(toLocations({ uri: 'x' }), []);
    assert.deepEqual(toLocations(null), []);
  });

  it('finds where relevantCode was invoked, in both argument forms', () => {
    const range = { start: { line: 345, character: 34 }, end: { line: 345, character: 34 } };
    assert.deepEqual(relevantOrigin(['file:///a.py', range]), { uri: 'file:///a.py', range });
    assert.deepEqual(relevantOrigin([{ uri: 'file:///a.py', range }]), { uri: 'file:///a.py', range });
    assert.deepEqual(relevantOrigin([{ uri: 'file:///a.py', position: range.start }]), { uri: 'file:///a.py', range });
    assert.equal(relevantOrigin(['file:///a.py']), undefined);
    assert.equal(relevantOrigin([]), undefined);
  });
});

describe('status rendering', () => {
  it('renders each folder, the models and the latencies', () => {
    const text = renderStatus(status(), 1764120000.5 * 1000 + 125_000);
    assert.match(text, /^codesift 0\.1\.0/);
    assert.match(text, /app {2}\(file:\/\/\/ws\/app\)/);
    assert.match(text, /state: +up to date/);
    assert.match(text, /indexed: +2,273 files, 61,840 chunks, 55,012 symbols/);
    assert.match(text, /languages: +python 2,250, markdown 23/);
    assert.match(text, /last update: +2m ago/);
    assert.match(text, /unsaved: +1 buffer/);
    assert.match(text, /embedding: +12,000\/61,840 chunks \(running\)/);
    assert.match(text, /codesift-bi-l6 \(codesift\/codesift-bi-l6-int8\)/);
    assert.match(text, /cache hit rate: 83\.0%/);
    assert.match(text, /candidates +p50 14\.2, max 41\.0 \(n=50\)/);
  });

  it('renders an empty server and model failures', () => {
    const empty = renderStatus(status({ roots: [], models: {}, cache_hit_rate: null, latency_ms: {} }));
    assert.match(empty, /No workspace folder is indexed/);
    assert.match(empty, /none loaded yet/);
    assert.doesNotMatch(empty, /cache hit rate/);
    const base = status();
    const root = { ...base.roots[0]!, indexing: true, model_failures: { heavy: 'model.onnx missing' } };
    const failing = renderStatus({ ...base, roots: [root] });
    assert.match(failing, /state: +indexing…/);
    assert.match(failing, /model failed: heavy: model\.onnx missing/);
  });

  it('describes background embedding in each state', () => {
    assert.equal(describeEmbedding({ state: 'running', done: 12000, total: 89000 }), '12,000/89,000 chunks (running)');
    assert.equal(describeEmbedding({ state: 'done', done: 89000, total: 89000 }), '89,000 chunks (done)');
    assert.equal(describeEmbedding({ state: 'waiting' }), 'waiting');
    assert.equal(describeEmbedding({ state: 'off', done: 0, total: 0 }), 'off');
    assert.equal(describeEmbedding({ state: 'failed', done: 64, total: 900 }), '64/900 chunks (failed)');
    assert.match(describeEmbedding({ state: 'too large', done: 0, total: 400000 })!, /^off: 400,000 chunks, over rerank\.background_embed_max_chunks$/);
    assert.equal(describeEmbedding(undefined), undefined);
    // an older server: no line at all
    const base = status();
    const old = { ...base.roots[0]! };
    delete old.embedding;
    assert.doesNotMatch(renderStatus({ ...base, roots: [old] }), /embedding/);
    const done = { ...base.roots[0]!, embedding: { state: 'done', done: 61840, total: 61840 } };
    assert.match(renderStatus({ ...base, roots: [done] }), /embedding: +61,840 chunks \(done\)/);
  });

  it('formats numbers and ages', () => {
    assert.equal(formatNumber(1234567), '1,234,567');
    assert.equal(formatNumber(12), '12');
    assert.equal(formatAge(5), '5s');
    assert.equal(formatAge(7200), '2h');
    assert.equal(formatAge(3 * 86400), '3d');
    assert.equal(formatAge(-3), '0s');
  });
});
