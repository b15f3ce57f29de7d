import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

import {
  CLIENT_SETTINGS,
  CommandLineError,
  SERVER_SETTINGS,
  camelToSnake,
  findOnPath,
  formatCommand,
  parseServerCommand,
  resolveServerCommand,
  sameSettings,
  serverExecutable,
  serverPath,
  splitCommandLine,
  toServerSettings,
} from '../../src/settings';

interface ContributedSetting {
  type: string | string[];
  default: unknown;
  items?: { type: string };
  minimum?: number;
  scope?: string;
}

const manifest = JSON.parse(
  fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8'),
) as { contributes: { configuration: { properties: Record<string, ContributedSetting> } } };
const contributed = manifest.contributes.configuration.properties;

describe('settings mapping', () => {
  it('turns camelCase keys into the server snake_case keys', () => {
    assert.equal(camelToSnake('lightModel'), 'light_model');
    assert.equal(camelToSnake('interactiveBudgetMs'), 'interactive_budget_ms');
    assert.equal(camelToSnake('rerank'), 'rerank');
    assert.deepEqual(serverPath('retrieve.poolSize'), ['retrieve', 'pool_size']);
    assert.deepEqual(serverPath('scan.extraIgnore'), ['scan', 'extra_ignore']);
    assert.throws(() => serverPath('poolSize'));
  });

  it('sends nothing when the user has set nothing', () => {
    const { settings, problems } = toServerSettings(() => undefined);
    assert.deepEqual(settings, {});
    assert.deepEqual(problems, []);
  });

  it('maps the settings the user set into the server config shape', () => {
    const values: Record<string, unknown> = {
      'rerank.lightModel': '/models/small',
      'rerank.heavyModel': '',
      'rerank.lightKeep': 30,
      'retrieve.poolSize': 80,
      'scan.extraIgnore': ['fixtures/', '*.gen.ts'],
    };
    const { settings, problems } = toServerSettings((key) => values[key]);
    assert.deepEqual(problems, []);
    assert.deepEqual(settings, {
      rerank: { light_model: '/models/small', heavy_model: '', light_keep: 30 },
      retrieve: { pool_size: 80 },
      scan: { extra_ignore: ['fixtures/', '*.gen.ts'] },
    });
  });

  it('copies arrays so later edits of the source do not leak into sent settings', () => {
    const ignore = ['a/'];
    const { settings } = toServerSettings((key) => (key === 'scan.extraIgnore' ? ignore : undefined));
    ignore.push('b/');
    assert.deepEqual(settings.scan?.extra_ignore, ['a/']);
  });

  it('drops values of the wrong type and says why', () => {
    const values: Record<string, unknown> = {
      'rerank.lightKeep': '30',
      'rerank.interactiveBudgetMs': -1,
      'retrieve.poolSize': 2.5,
      'scan.extraIgnore': ['ok', 3],
      'rerank.enabled': 'yes',
      'rerank.lightModel': 'codesift-bi-l6',
      'rerank.heavyModel': null,
    };
    const { settings, problems } = toServerSettings((key) => values[key]);
    assert.deepEqual(settings, { rerank: { light_model: 'codesift-bi-l6' } });
    assert.equal(problems.length, 5);
    assert.match(problems.join('\n'), /codesift\.rerank\.lightKeep should be an integer >= 1, got "30"/);
    assert.match(problems.join('\n'), /codesift\.scan\.extraIgnore should be a list of strings/);
    assert.match(problems.join('\n'), /codesift\.rerank\.enabled should be true or false/);
  });

  it('compares settings regardless of key order', () => {
    assert.ok(sameSettings({ a: { x: 1, y: [1, 2] }, b: {} }, { b: {}, a: { y: [1, 2], x: 1 } }));
    assert.ok(!sameSettings({ a: { y: [1, 2] } }, { a: { y: [2, 1] } }));
    assert.ok(!sameSettings({ a: { x: 1 } }, {}));
  });

  it('package.json contributes every mirrored setting with a matching type', () => {
    for (const spec of SERVER_SETTINGS) {
      const entry = contributed[`codesift.${spec.key}`];
      assert.ok(entry, `codesift.${spec.key} is not in package.json`);
      const expected = { string: 'string', integer: 'integer', boolean: 'boolean', 'string[]': 'array' }[spec.kind];
      assert.equal(entry.type, expected, spec.key);
      if (spec.kind === 'string[]') {
        assert.equal(entry.items?.type, 'string', spec.key);
      }
      if (spec.minimum !== undefined) {
        assert.equal(entry.minimum, spec.minimum, spec.key);
      }
      // the documented default must itself be a valid value
      const { problems } = toServerSettings((key) => (key === spec.key ? entry.default : undefined));
      assert.deepEqual(problems, [], spec.key);
    }
  });

  it('package.json contributes nothing that is neither mirrored nor client-side', () => {
    const known = new Set([...SERVER_SETTINGS.map((s) => s.key), ...CLIENT_SETTINGS]);
    for (const key of Object.keys(contributed)) {
      assert.ok(known.has(key.replace(/^codesift\./, '')), `${key} is not handled`);
    }
    assert.equal(contributed['codesift.serverCommand']?.scope, 'machine');
  });
});

describe('server command', () => {
  it('splits a command line like a shell, without expansion', () => {
    assert.deepEqual(splitCommandLine('codesift serve'), ['codesift', 'serve']);
    assert.deepEqual(splitCommandLine('  python3   -m codesift serve  '), ['python3', '-m', 'codesift', 'serve']);
    assert.deepEqual(splitCommandLine('"/opt/my tools/codesift" serve'), ['/opt/my tools/codesift', 'serve']);
    assert.deepEqual(splitCommandLine("'/opt/it''s/x' $HOME"), ['/opt/its/x', '$HOME']);
    assert.deepEqual(splitCommandLine('/opt/my\\ tools/codesift serve'), ['/opt/my tools/codesift', 'serve']);
    assert.deepEqual(splitCommandLine('"say \\"hi\\"" ""'), ['say "hi"', '']);
    assert.deepEqual(splitCommandLine('C:\\Tools\\codesift.exe serve'), ['C:\\Tools\\codesift.exe', 'serve']);
    assert.deepEqual(splitCommandLine(''), []);
    assert.throws(() => splitCommandLine('"unterminated'), CommandLineError);
    assert.throws(() => splitCommandLine("it's"), CommandLineError);
  });

  it('reads the setting as a string or an array; unset or empty means the default', () => {
    assert.equal(parseServerCommand(undefined), undefined);
    assert.equal(parseServerCommand(null), undefined);
    assert.equal(parseServerCommand('   '), undefined);
    assert.equal(parseServerCommand([]), undefined);
    assert.deepEqual(parseServerCommand(['/v/bin/codesift', 'serve']), ['/v/bin/codesift', 'serve']);
    assert.deepEqual(parseServerCommand('/v/bin/python -m codesift serve'), ['/v/bin/python', '-m', 'codesift', 'serve']);
    assert.throws(() => parseServerCommand(['codesift', 1]), CommandLineError);
    assert.throws(() => parseServerCommand(['', 'serve']), CommandLineError);
    assert.throws(() => parseServerCommand(42), CommandLineError);
  });

  it('finds an executable on PATH', () => {
    const files = new Set(['/usr/local/bin/codesift', '/opt/bin/other']);
    const found = findOnPath('codesift', { PATH: '/usr/bin::/usr/local/bin:/opt/bin' }, 'linux', (f) => files.has(f));
    assert.equal(found, '/usr/local/bin/codesift');
    assert.equal(findOnPath('codesift', { PATH: '/usr/bin' }, 'linux', (f) => files.has(f)), undefined);
    assert.equal(findOnPath('codesift', {}, 'linux', () => true), undefined);
  });

  it('finds an executable on Windows with PATHEXT', () => {
    const files = new Set(['C:\\Py\\Scripts\\codesift.EXE']);
    const found = findOnPath(
      'codesift',
      { Path: 'C:\\Windows;C:\\Py\\Scripts', PATHEXT: '.COM;.EXE' },
      'win32',
      (f) => files.has(f),
    );
    assert.equal(found, 'C:\\Py\\Scripts\\codesift.EXE');
  });

  it('prefers the setting, then codesift on PATH, then the Python extension, then python3', () => {
    const base = { configured: undefined, codesiftOnPath: undefined, pythonCommand: undefined, platform: 'linux' };
    assert.deepEqual(resolveServerCommand({ ...base, configured: 'x serve --tcp :2087', codesiftOnPath: '/bin/codesift' }), {
      command: 'x',
      args: ['serve', '--tcp', ':2087'],
      source: 'setting',
    });
    assert.deepEqual(resolveServerCommand({ ...base, codesiftOnPath: '/bin/codesift', pythonCommand: ['/py'] }), {
      command: '/bin/codesift',
      args: ['serve'],
      source: 'path',
    });
    assert.deepEqual(resolveServerCommand({ ...base, pythonCommand: ['conda', 'run', '-n', 'x', 'python'] }), {
      command: 'conda',
      args: ['run', '-n', 'x', 'python', '-m', 'codesift', 'serve'],
      source: 'python-extension',
    });
    assert.deepEqual(resolveServerCommand({ ...base, pythonCommand: [] }), {
      command: 'python3',
      args: ['-m', 'codesift', 'serve'],
      source: 'python-fallback',
    });
    assert.equal(resolveServerCommand({ ...base, platform: 'win32' }).command, 'python');
    assert.throws(() => resolveServerCommand({ ...base, configured: { cmd: 'x' } }), CommandLineError);
  });

  it('formats a command for messages', () => {
    assert.equal(
      formatCommand({ command: '/opt/my tools/codesift', args: ['serve', ''], source: 'setting' }),
      '"/opt/my tools/codesift" serve ""',
    );
  });
});

describe('serverExecutable', () => {
  it('passes no transport, so the client appends no --stdio the server would reject', () => {
    const run = serverExecutable({ command: '/x/codesift', args: ['serve'], source: 'setting' }, '/ws', {});
    assert.equal('transport' in run, false);
    assert.deepEqual(run.args, ['serve']);
    assert.equal(run.options.cwd, '/ws');
  });
});
