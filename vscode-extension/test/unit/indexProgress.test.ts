import * as assert from 'node:assert/strict';

import { IndexProgress, isEmbedToken, isIndexToken } from '../../src/indexProgress';
import { status } from './fixtures';

describe('status bar (indexing progress)', () => {
  it('only follows the server index tokens', () => {
    assert.ok(isIndexToken('codesift-index-1'));
    assert.ok(!isIndexToken('codesift-search-1'));
    assert.ok(!isIndexToken(7));
    const progress = new IndexProgress();
    assert.equal(progress.onProgress('some-other-token', { kind: 'begin', title: 'Building' }), false);
    assert.equal(progress.indexing, false);
  });

  it('says starting, not 0 files, until the first index is done', () => {
    const progress = new IndexProgress();
    const base = status();
    progress.setStatus({ ...base, roots: [] });
    assert.equal(progress.view().text, '$(sync~spin) CodeSift: starting…');
    progress.setStatus({ ...base, roots: [{ ...base.roots[0]!, files: 0, last_update: null }] });
    assert.equal(progress.view().text, '$(sync~spin) CodeSift: starting…');
    progress.setStatus(base);
    assert.match(progress.view().text, /CodeSift: [\d,]+ files/);
  });

  it('forgets the old server on reset: starting, not its file count or failure', () => {
    const progress = new IndexProgress();
    progress.setStatus(status());
    progress.setFailed('the language server is not running');
    progress.reset();
    assert.equal(progress.view().text, '$(sync~spin) CodeSift: starting…');
  });

  it('shows the percentage while indexing, then the file count', () => {
    const progress = new IndexProgress();
    assert.equal(progress.view().text, '$(sync~spin) CodeSift: starting…');
    progress.onProgress('codesift-index-1', { kind: 'begin', title: 'Indexing app', message: '0/5,000 files', percentage: 0 });
    assert.equal(progress.indexing, true);
    assert.equal(progress.view().text, '$(sync~spin) CodeSift: indexing 0%');
    progress.onProgress('codesift-index-1', { kind: 'report', message: 'Indexing 1,234/5,000 files', percentage: 24 });
    const during = progress.view();
    assert.equal(during.text, '$(sync~spin) CodeSift: indexing 24%');
    assert.match(during.tooltip, /Indexing app: Indexing 1,234\/5,000 files/);
    progress.onProgress('codesift-index-1', { kind: 'end', message: 'app: +5000 added, 0 updated, 0 removed in 21.3s' });
    assert.equal(progress.indexing, false);
    progress.setStatus(status());
    const after = progress.view();
    assert.equal(after.text, '$(search) CodeSift: 2,273 files');
    assert.match(after.tooltip, /app: 2,273 files, 61,840 chunks/);
    assert.match(after.tooltip, /\+5000 added/);
  });

  it('averages several folders indexing at once', () => {
    const progress = new IndexProgress();
    progress.onProgress('codesift-index-1', { kind: 'begin', title: 'Indexing a', percentage: 20 });
    progress.onProgress('codesift-index-2', { kind: 'begin', title: 'Indexing b', percentage: 60 });
    assert.equal(progress.view().text, '$(sync~spin) CodeSift: indexing 40%');
    progress.onProgress('codesift-index-1', { kind: 'end' });
    assert.equal(progress.indexing, true);
    assert.equal(progress.view().text, '$(sync~spin) CodeSift: indexing 60%');
    progress.onProgress('codesift-index-2', { kind: 'end' });
    assert.equal(progress.indexing, false);
  });

  it('shows background embedding after indexing, which keeps precedence', () => {
    assert.ok(isEmbedToken('codesift-embed-4'));
    assert.ok(!isEmbedToken('codesift-index-4'));
    const progress = new IndexProgress();
    progress.setStatus(status());
    progress.onProgress('codesift-index-1', { kind: 'begin', title: 'Indexing app', percentage: 30 });
    assert.ok(progress.onProgress('codesift-embed-2', { kind: 'begin', title: 'Embedding app', message: '0/89,000 chunks', percentage: 0 }));
    assert.equal(progress.view().text, '$(sync~spin) CodeSift: indexing 30%', 'indexing is shown first');
    progress.onProgress('codesift-index-1', { kind: 'end', message: 'app: +5000 added, 0 updated, 0 removed in 21.3s' });
    assert.equal(progress.indexing, false);
    assert.ok(progress.embeddingRunning);
    assert.equal(progress.view().text, '$(sync~spin) CodeSift: embedding 0%');
    progress.onProgress('codesift-embed-2', { kind: 'report', message: 'Embedding 37,380/89,000 chunks', percentage: 42 });
    const during = progress.view();
    assert.equal(during.text, '$(sync~spin) CodeSift: embedding 42%');
    assert.match(during.tooltip, /^Embedding app: Embedding 37,380\/89,000 chunks\n/);
    assert.match(during.tooltip, /rank partially/);
    progress.onProgress('codesift-embed-2', { kind: 'end', message: 'app: 89,000 chunks embedded; searches rank fully' });
    assert.equal(progress.embeddingRunning, false);
    const after = progress.view();
    assert.equal(after.text, '$(search) CodeSift: 2,273 files');
    assert.match(after.tooltip, /89,000 chunks embedded; searches rank fully/);
  });

  it('a status that still says indexing wins over embedding; a stopped server forgets both', () => {
    const progress = new IndexProgress();
    const base = status();
    progress.setStatus({ ...base, roots: [{ ...base.roots[0]!, indexing: true }] });
    progress.onProgress('codesift-embed-1', { kind: 'begin', title: 'Embedding app', percentage: 10 });
    assert.equal(progress.view().text, '$(sync~spin) CodeSift: indexing…');
    progress.setStatus(base);
    assert.equal(progress.view().text, '$(sync~spin) CodeSift: embedding 10%');
    progress.onProgress('codesift-index-2', { kind: 'begin', title: 'Indexing app' });
    progress.clearRuns();
    assert.equal(progress.indexing, false);
    assert.equal(progress.embeddingRunning, false);
    assert.equal(progress.view().text, '$(search) CodeSift: 2,273 files');
  });

  it('a report for an unknown token is ignored', () => {
    const progress = new IndexProgress();
    assert.ok(progress.onProgress('codesift-index-9', { kind: 'report', percentage: 50 }));
    assert.equal(progress.indexing, false);
  });

  it('uses the status when indexing runs without progress, and shows failures', () => {
    const progress = new IndexProgress();
    const base = status();
    progress.setStatus({ ...base, roots: [{ ...base.roots[0]!, indexing: true, files: 10 }] });
    assert.ok(progress.indexingPerStatus);
    assert.equal(progress.view().text, '$(sync~spin) CodeSift: indexing…');
    progress.setFailed('the language server is not running');
    assert.equal(progress.view().text, '$(error) CodeSift');
    assert.match(progress.view().tooltip, /not running/);
    progress.onProgress('codesift-index-3', { kind: 'begin', title: 'Indexing app' });
    assert.equal(progress.view().text, '$(sync~spin) CodeSift: indexing…', 'a new run clears the failure');
  });
});
