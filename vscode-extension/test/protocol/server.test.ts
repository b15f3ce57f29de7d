// The real `codesift serve` over stdio, driven with vscode-jsonrpc the way the extension's
// language client drives it. The server command comes from CODESIFT_SERVER (a command
// line; default: ../.venv/bin/codesift serve, relative to vscode-extension/).

import * as assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

import {
  CancellationTokenSource,
  ProgressType,
  ResponseError,
  type MessageConnection,
} from 'vscode-jsonrpc';
import { StreamMessageReader, StreamMessageWriter, createMessageConnection } from 'vscode-jsonrpc/node';

import { IndexProgress, isEmbedToken, isIndexToken, type WorkDoneValue } from '../../src/indexProgress';
import {
  ErrorCode,
  INDEX_TOKEN_PREFIX,
  REINDEX,
  RELEVANT_CODE,
  SEARCH,
  STATUS,
  type ProgressToken,
  type SearchAnswer,
  type SearchParams,
  type Snapshot,
  type Status,
} from '../../src/protocol';
import { rankingSummary, renderItems, renderStatus, toLocations } from '../../src/render';
import { SearchController, type SearchState, type SearchTransport } from '../../src/search';
import { SERVER_SETTINGS, splitCommandLine, toServerSettings, type ServerSettings } from '../../src/settings';

const EXTENSION_DIR = path.resolve(__dirname, '..', '..');
const NATURAL_QUERY = 'read the status line of an HTTP response';

function serverCommand(): string[] {
  const line = process.env.CODESIFT_SERVER ?? '../.venv/bin/codesift serve';
  const argv = splitCommandLine(line);
  assert.ok(argv.length > 0, 'CODESIFT_SERVER is empty');
  if (argv[0]!.includes('/') && !path.isAbsolute(argv[0]!)) {
    argv[0] = path.resolve(EXTENSION_DIR, argv[0]!);
  }
  return argv;
}

function stdlibDir(): string {
  const python = process.env.PYTHON ?? 'python3';
  return execFileSync(python, ['-c', 'import sysconfig; print(sysconfig.get_paths()["stdlib"])'], {
    encoding: 'utf8',
  }).trim();
}

function copyTree(from: string, to: string): void {
  fs.cpSync(from, to, { recursive: true, filter: (src) => path.basename(src) !== '__pycache__' });
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail('the request succeeded but should have been cancelled');
}

interface Message {
  type: number;
  message: string;
}

class Session {
  readonly process: ChildProcess;
  readonly connection: MessageConnection;
  /** Work-done progress on the tokens the server created (indexing, embedding). */
  readonly workProgress: { token: ProgressToken; value: WorkDoneValue }[] = [];
  readonly shown: Message[] = [];
  readonly logged: Message[] = [];
  stderr = '';
  /** Rejects when the server process ends (or cannot start), so no test waits for its
   * timeout on a dead server. */
  readonly died: Promise<never>;
  private closing = false;

  constructor(argv: string[], cwd: string) {
    this.process = spawn(argv[0]!, argv.slice(1), { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    this.process.stderr!.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
    this.died = new Promise<never>((_resolve, reject) => {
      const fail = (why: string) => {
        if (!this.closing) {
          reject(new Error(`the server (${argv.join(' ')}) ${why}; stderr:\n${this.stderr.slice(-3000)}`));
        }
      };
      this.process.once('error', (error) => fail(`could not start: ${error.message}`));
      this.process.once('exit', (code, signal) => fail(`exited (code ${code}, signal ${signal})`));
    });
    this.died.catch(() => undefined); // observed through request()
    this.connection = createMessageConnection(
      new StreamMessageReader(this.process.stdout!),
      new StreamMessageWriter(this.process.stdin!),
    );
    // server -> client requests and notifications a language client answers
    this.connection.onRequest('window/workDoneProgress/create', () => null);
    this.connection.onRequest('client/registerCapability', () => null);
    this.connection.onRequest('workspace/configuration', () => []);
    this.connection.onNotification('window/showMessage', (m: Message) => {
      this.shown.push(m);
    });
    this.connection.onNotification('window/logMessage', (m: Message) => {
      this.logged.push(m);
    });
    // index and embed tokens are created by the server, so they arrive as "unhandled" progress
    this.connection.onUnhandledProgress(({ token, value }) => {
      this.workProgress.push({ token, value: value as WorkDoneValue });
    });
    this.connection.listen();
  }

  get indexProgress() {
    return this.workProgress.filter((p) => isIndexToken(p.token));
  }

  get embedProgress() {
    return this.workProgress.filter((p) => isEmbedToken(p.token));
  }

  request<R>(method: string, params: unknown = {}): Promise<R> {
    return Promise.race([this.connection.sendRequest<R>(method, params), this.died]);
  }

  /** codesift/search, collecting the snapshots sent on the partial-result token. */
  async search(params: SearchParams & { partialResultToken: string }, token?: CancellationTokenSource) {
    const snapshots: Snapshot[] = [];
    const progress = this.connection.onProgress(new ProgressType<Snapshot>(), params.partialResultToken, (s) => {
      snapshots.push(s);
    });
    try {
      // (an `undefined` token argument would be sent as a second positional param)
      const answer = await Promise.race([
        token === undefined
          ? this.connection.sendRequest<SearchAnswer>(SEARCH, params)
          : this.connection.sendRequest<SearchAnswer>(SEARCH, params, token.token),
        this.died,
      ]);
      return { answer, snapshots };
    } finally {
      progress.dispose();
    }
  }

  /** The transport the extension gives its SearchController, over this connection. */
  transport(calls: { params: SearchParams; error?: unknown }[]): SearchTransport {
    return {
      search: async (params, onSnapshot, token) => {
        const call: { params: SearchParams; error?: unknown } = { params };
        calls.push(call);
        const progress = this.connection.onProgress(new ProgressType<Snapshot>(), params.partialResultToken!, onSnapshot);
        try {
          return await Promise.race([this.connection.sendRequest<SearchAnswer>(SEARCH, params, token), this.died]);
        } catch (error) {
          call.error = error;
          throw error;
        } finally {
          progress.dispose();
        }
      },
    };
  }

  async waitIndexed(timeoutMs = 90_000): Promise<Status> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const status = await this.request<Status>(STATUS);
      if (status.roots.length > 0 && status.roots.every((r) => !r.indexing && r.files > 0)) {
        return status;
      }
      if (Date.now() > deadline) {
        assert.fail(`indexing did not finish: ${JSON.stringify(status.roots)}`);
      }
      await sleep(100);
    }
  }

  async close(): Promise<number | null> {
    this.closing = true;
    const exited = new Promise<number | null>((resolve) => {
      if (this.process.exitCode !== null) {
        resolve(this.process.exitCode);
      } else {
        this.process.once('exit', (code) => resolve(code));
      }
    });
    try {
      await Promise.race([this.request('shutdown', null), sleep(20_000)]);
      await this.connection.sendNotification('exit');
    } catch {
      // the process may already be gone; it is killed below if not
    }
    const code = await Promise.race([exited, sleep(20_000).then(() => 'timeout' as const)]);
    this.connection.dispose();
    if (code === 'timeout') {
      this.process.kill('SIGKILL');
      return null;
    }
    return code;
  }
}

describe('codesift serve over stdio (protocol)', function () {
  let tmp: string;
  let workspace: string;
  let indexDir: string;
  let session: Session;
  let initializeResult: { capabilities: Record<string, unknown> };
  let tokenNumber = 0;
  const nextToken = () => `protocol-test-${++tokenNumber}`;
  /** What every settings object sent to this server keeps: the index in the temp dir. */
  let baseSettings: ServerSettings;

  before(async function () {
    const argv = serverCommand();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'codesift-vscode-'));
    workspace = path.join(tmp, 'ws');
    indexDir = path.join(tmp, 'index');
    const stdlib = stdlibDir();
    for (const name of ['json', 'http']) {
      copyTree(path.join(stdlib, name), path.join(workspace, name));
    }
    // deterministic stages on a slow machine: the model stages are never cut short by
    // the interactive latency budget
    baseSettings = { index: { index_dir: indexDir }, rerank: { interactive_budget_ms: 0, confident_exit: 0 } };
    session = new Session(argv, tmp);
    const rootUri = pathToFileURL(workspace).toString();
    initializeResult = await session.request('initialize', {
      processId: process.pid,
      clientInfo: { name: 'codesift-vscode-protocol-test' },
      rootUri,
      workspaceFolders: [{ uri: rootUri, name: 'ws' }],
      capabilities: { window: { workDoneProgress: true }, workspace: { workspaceFolders: true } },
      initializationOptions: baseSettings,
    });
    await session.connection.sendNotification('initialized', {});
  });

  after(async function () {
    if (session !== undefined) {
      const code = await session.close();
      if (code !== 0 && session.stderr !== '') {
        console.error(session.stderr.slice(-4000));
      }
    }
    if (tmp !== undefined) {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('advertises what the extension relies on', function () {
    const caps = initializeResult.capabilities as {
      executeCommandProvider?: { commands?: string[] };
      hoverProvider?: unknown;
      codeActionProvider?: unknown;
      workspace?: { workspaceFolders?: unknown };
    };
    assert.deepEqual(caps.executeCommandProvider?.commands, [RELEVANT_CODE]);
    assert.ok(caps.hoverProvider);
    assert.ok(caps.codeActionProvider);
    // the language client forwards workspace folder changes only with this
    assert.deepEqual(caps.workspace?.workspaceFolders, { supported: true, changeNotifications: true });
  });

  it('reports indexing on a codesift-index token; status then shows the files', async function () {
    const status = await session.waitIndexed();
    const root = status.roots[0]!;
    // an absolute index_dir is a parent folder: one subfolder per workspace folder
    assert.equal(path.dirname(root.index_dir), indexDir, 'the index lives in the temp dir, not the user cache');
    assert.ok(root.files >= 10, `only ${root.files} files`);
    assert.ok('python' in root.languages);
    const kinds = session.indexProgress.map((p) => p.value.kind);
    assert.equal(kinds[0], 'begin');
    assert.equal(kinds.at(-1), 'end');
    assert.ok(session.indexProgress.every((p) => String(p.token).startsWith(INDEX_TOKEN_PREFIX)));
    assert.ok(session.workProgress.every((p) => isIndexToken(p.token) || isEmbedToken(p.token)));

    // the status bar model fed with the same messages
    const bar = new IndexProgress();
    for (const { token, value } of session.indexProgress) {
      assert.ok(bar.onProgress(token, value));
    }
    assert.equal(bar.indexing, false);
    bar.setStatus(status);
    assert.equal(bar.view().text, `$(search) CodeSift: ${root.files} files`);
    assert.match(renderStatus(status), /up to date/);
    assert.deepEqual(session.shown, [], JSON.stringify(session.shown));
  });

  it('streams snapshots candidates -> light -> final; the answer is the last snapshot', async function () {
    await session.waitIndexed();
    const token = nextToken();
    const { answer, snapshots } = await session.search({ query: NATURAL_QUERY, limit: 10, partialResultToken: token });
    assert.deepEqual(
      snapshots.map((s) => s.stage),
      ['candidates', 'light', 'final'],
    );
    assert.equal(answer.stage, 'final');
    assert.deepEqual(answer.results, snapshots.at(-1)!.results);
    assert.ok(answer.results.length > 0 && answer.results.length <= 10);
    assert.ok(answer.results.some((r) => r.path === 'http/client.py'), JSON.stringify(answer.results.map((r) => r.path)));
    for (const s of snapshots) {
      assert.ok(s.results.every((r) => r.stage === s.stage && r.uri.startsWith('file://')));
    }
    assert.deepEqual(answer.stages?.map((s) => s.name), ['light', 'heavy']);
    // the items the picker would show for the answer
    const items = renderItems(answer.results);
    assert.equal(items.length, answer.results.length);
    assert.match(items[0]!.description, /^[\w/.]+\.py:\d+ {2}· {2}\S.* → light #\d+/);
    // why and how sure, as the picker shows them, from the real server
    const top = answer.results[0]!;
    assert.ok(top.why !== undefined && typeof top.search_id === 'number');
    assert.ok(top.why.matched.every((m) => top.snippet.split('\n')[m.line]!.length >= m.end));
    assert.ok(typeof answer.confidence === 'number' && answer.confidence >= 0 && answer.confidence <= 1);
  });

  it('the SearchController shows each snapshot in place and ends on the answer', async function () {
    await session.waitIndexed();
    const calls: { params: SearchParams; error?: unknown }[] = [];
    const states: SearchState[] = [];
    const controller = new SearchController(session.transport(calls), (s) => states.push(s), {
      limit: 10,
      debounceMs: 0,
    });
    const done = new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const last = states.at(-1);
        if (last !== undefined && !last.busy && last.stage === 'final' && last.stages !== undefined) {
          clearInterval(timer);
          resolve();
        }
      }, 20);
    });
    controller.setQuery('encode a python object as json text');
    await done;
    controller.dispose();
    const staged = states.filter((s) => s.stage !== undefined);
    assert.deepEqual(
      [...new Set(staged.map((s) => s.stage))],
      ['candidates', 'light', 'final'],
    );
    assert.ok(staged.filter((s) => s.stage !== 'final').every((s) => s.busy));
    const last = states.at(-1)!;
    assert.ok(last.results.length > 0);
    assert.ok(last.results.some((r) => r.path.startsWith('json/')));
    assert.equal(calls.length, 1);
  });

  it('a second search cancels the first (-32800)', async function () {
    await session.waitIndexed();
    const first = rejection(
      session.search({ query: 'parse the headers of an email message', partialResultToken: nextToken() }),
    );
    const second = await session.search({ query: 'split a cookie header into name value pairs', partialResultToken: nextToken() });
    assert.equal(second.answer.stage, 'final');
    assert.ok(second.answer.results.length > 0);
    const error = await first;
    assert.ok(error instanceof ResponseError, String(error));
    assert.equal(error.code, ErrorCode.RequestCancelled);
  });

  it('$/cancelRequest from a cancelled token answers -32800 and the server keeps serving', async function () {
    await session.waitIndexed();
    const source = new CancellationTokenSource();
    const pending = rejection(
      session.search({ query: 'decode a JSON document', partialResultToken: nextToken() }, source),
    );
    source.cancel(); // vscode-jsonrpc sends $/cancelRequest right after the request
    const started = Date.now();
    const error = await pending;
    assert.ok(error instanceof ResponseError, String(error));
    assert.equal(error.code, ErrorCode.RequestCancelled);
    assert.ok(Date.now() - started < 5000);
    const after = await session.search({ query: 'decode a JSON document', partialResultToken: nextToken() });
    assert.ok(after.answer.results.length > 0);
  });

  it('typing a new query in the controller cancels the running search', async function () {
    await session.waitIndexed();
    const calls: { params: SearchParams; error?: unknown }[] = [];
    const states: SearchState[] = [];
    const controller = new SearchController(session.transport(calls), (s) => states.push(s), {
      limit: 10,
      debounceMs: 0,
    });
    controller.setQuery('send a request body in chunks');
    while (calls.length === 0) {
      await sleep(5);
    }
    controller.setQuery('quote a cookie value');
    const deadline = Date.now() + 60_000;
    while (!(states.at(-1)?.stage === 'final' && !states.at(-1)!.busy) && Date.now() < deadline) {
      await sleep(20);
    }
    controller.dispose();
    assert.equal(calls.length, 2);
    assert.equal((calls[0]!.error as ResponseError | undefined)?.code, ErrorCode.RequestCancelled);
    assert.equal(calls[1]!.error, undefined);
    const last = states.at(-1)!;
    assert.equal(last.query, 'quote a cookie value');
    assert.equal(last.error, undefined);
    assert.ok(last.results.some((r) => r.path.startsWith('http/')));
  });

  it('an invalid regex is refused with -32602 and a message for the user', async function () {
    const error = await rejection(
      session.search({ query: '(', regex: true, partialResultToken: nextToken() }),
    );
    assert.ok(error instanceof ResponseError);
    assert.equal(error.code, ErrorCode.InvalidParams);
    assert.match(error.message, /regex/);
  });

  it('codesift.relevantCode returns locations for the symbol under the cursor', async function () {
    await session.waitIndexed();
    const file = path.join(workspace, 'json', '__init__.py');
    const text = fs.readFileSync(file, 'utf8');
    const uri = pathToFileURL(file).toString();
    await session.connection.sendNotification('textDocument/didOpen', {
      textDocument: { uri, languageId: 'python', version: 1, text },
    });
    const lines = text.split('\n');
    const line = lines.findIndex((l) => l.includes('_default_decoder.decode(s)'));
    assert.ok(line >= 0);
    const character = lines[line]!.indexOf('decode(s)') + 2;
    const position = { line, character };
    const result = await session.request<unknown>('workspace/executeCommand', {
      command: RELEVANT_CODE,
      arguments: [uri, { start: position, end: position }],
    });
    const locations = toLocations(result);
    assert.ok(Array.isArray(result) && locations.length === result.length && locations.length > 0);
    assert.ok(locations.some((l) => l.uri.endsWith('json/decoder.py')), JSON.stringify(locations));
    await session.connection.sendNotification('textDocument/didClose', { textDocument: { uri } });
  });

  it('accepts every mirrored setting at its documented default; refuses a bad one', async function () {
    await session.waitIndexed();
    const manifest = JSON.parse(fs.readFileSync(path.join(EXTENSION_DIR, 'package.json'), 'utf8')) as {
      contributes: { configuration: { properties: Record<string, { default: unknown }> } };
    };
    const props = manifest.contributes.configuration.properties;
    const { settings, problems } = toServerSettings((key) => props[`codesift.${key}`]?.default);
    assert.deepEqual(problems, []);
    assert.equal(Object.values(settings).reduce((n, s) => n + Object.keys(s).length, 0), SERVER_SETTINGS.length);

    // a bad value first: refused with a message naming the key, old settings kept
    session.shown.length = 0;
    await session.connection.sendNotification('workspace/didChangeConfiguration', {
      settings: { ...baseSettings, rerank: { ...baseSettings.rerank, light_keep: 'many' } },
    });
    await session.request(STATUS); // handled after the notification
    assert.equal(session.shown.length, 1, JSON.stringify(session.shown));
    assert.match(session.shown[0]!.message, /light_keep/);

    // the defaults (merged over the test's own settings, as the extension would send them)
    session.shown.length = 0;
    const merged: ServerSettings = { ...settings, index: baseSettings.index! };
    merged.rerank = { ...merged.rerank, interactive_budget_ms: 0 };
    await session.connection.sendNotification('workspace/didChangeConfiguration', { settings: merged });
    await session.request(STATUS);
    assert.deepEqual(session.shown, [], JSON.stringify(session.shown));
    const status = await session.waitIndexed();
    assert.equal(path.dirname(status.roots[0]!.index_dir), indexDir);

    // the defaults in package.json are the server's defaults
    const python = path.join(path.dirname(serverCommand()[0]!), 'python');
    if (fs.existsSync(python)) {
      const server = JSON.parse(
        execFileSync(python, ['-c', 'import dataclasses, json; from codesift.config import Config; print(json.dumps(dataclasses.asdict(Config())))'], {
          encoding: 'utf8',
        }),
      ) as Record<string, Record<string, unknown>>;
      for (const [section, values] of Object.entries(settings)) {
        for (const [name, value] of Object.entries(values)) {
          assert.deepEqual(value, server[section]?.[name], `${section}.${name}`);
        }
      }
    }
  });

  it('a search cut short by the time budget says it is partially ranked', async function () {
    await session.waitIndexed();
    // new settings reopen each folder (a sync with its own index progress): wait for it
    const budget = async (ms: number) => {
      const ends = () => session.indexProgress.filter((p) => p.value.kind === 'end').length;
      const before = ends();
      await session.connection.sendNotification('workspace/didChangeConfiguration', {
        settings: { ...baseSettings, rerank: { ...baseSettings.rerank, interactive_budget_ms: ms } },
      });
      const deadline = Date.now() + 90_000;
      while (ends() === before && Date.now() < deadline) {
        await sleep(20);
      }
      await session.waitIndexed();
    };
    // 1 ms is spent before the model stages start (finding candidates takes longer)
    await budget(1);
    try {
      const { answer } = await session.search({ query: NATURAL_QUERY, limit: 10, partialResultToken: nextToken() });
      assert.ok(answer.results.length > 0);
      assert.match(rankingSummary(answer.stages) ?? '', /unscored|time budget/, JSON.stringify(answer.stages));
    } finally {
      await budget(0);
    }
    const { answer } = await session.search({ query: NATURAL_QUERY, limit: 10, partialResultToken: nextToken() });
    assert.equal(rankingSummary(answer.stages), undefined, JSON.stringify(answer.stages));
  });

  it('background embedding: its progress and status are what the status bar and report show', async function () {
    const status = await session.waitIndexed();
    const states = ['waiting', 'running', 'done', 'off', 'too large', 'failed'];
    for (const root of status.roots) {
      assert.ok(root.embedding !== undefined && states.includes(root.embedding.state), JSON.stringify(root.embedding));
      assert.match(renderStatus(status), /embedding: +\S/);
    }
    // whatever embedding progress arrived so far (the test does not wait for it to end)
    const bar = new IndexProgress();
    const open = new Set<ProgressToken>();
    for (const { token, value } of session.embedProgress) {
      assert.ok(bar.onProgress(token, value));
      if (value.kind === 'begin') {
        assert.match(value.title ?? '', /^Embedding /);
        open.add(token);
      } else {
        assert.ok(open.has(token), `${value.kind} before begin on ${String(token)}`);
        if (value.kind === 'end') {
          assert.match(value.message ?? '', /chunks embedded|embedding stopped \(/);
          open.delete(token);
        }
      }
    }
    assert.equal(bar.embeddingRunning, open.size > 0);
    if (open.size > 0) {
      assert.match(bar.view().text, /^\$\(sync~spin\) CodeSift: embedding \d+%$/);
    }
  });

  it('codesift/reindex starts over and reports progress again', async function () {
    await session.waitIndexed();
    const before = session.indexProgress.length;
    const answer = await session.request<{ started: boolean }>(REINDEX);
    assert.deepEqual(answer, { started: true });
    const deadline = Date.now() + 90_000;
    while (!session.indexProgress.slice(before).some((p) => p.value.kind === 'end') && Date.now() < deadline) {
      await sleep(50);
    }
    const all = session.indexProgress.slice(before).map((p) => p.value.kind);
    // an earlier sync's last report may still be arriving: start at the reindex's begin
    const kinds = all.slice(Math.max(0, all.indexOf('begin')));
    assert.equal(kinds[0], 'begin');
    assert.equal(kinds.at(-1), 'end');
    const status = await session.waitIndexed();
    assert.ok(status.roots[0]!.files >= 10);
  });
});
