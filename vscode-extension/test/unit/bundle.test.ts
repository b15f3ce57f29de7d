// The esbuild bundle loads outside the editor (with a stand-in `vscode` module) and its
// activate() registers exactly the commands package.json contributes. The extension host
// itself is not available to these tests.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import Module from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';

import * as esbuild from 'esbuild';

const EXTENSION_DIR = path.resolve(__dirname, '..', '..');

/** An object on which every property, call and `new` gives another such object. */
function standIn(name: string, overrides: Record<string, unknown> = {}): unknown {
  const cache = new Map<PropertyKey, unknown>();
  const target = function () {
    /* stand-in */
  };
  return new Proxy(target, {
    get(t, prop) {
      if (prop in overrides) {
        return overrides[prop as string];
      }
      if (prop === 'then') {
        return undefined; // not a promise
      }
      if (prop === 'prototype') {
        return t.prototype as object; // so that `class X extends vscode.Y` works
      }
      if (prop === Symbol.toPrimitive) {
        return () => name;
      }
      if (!cache.has(prop)) {
        cache.set(prop, standIn(`${name}.${String(prop)}`));
      }
      return cache.get(prop);
    },
    set(_t, prop, value) {
      cache.set(prop, value); // e.g. statusBarItem.text = ...
      return true;
    },
    apply: () => standIn(`${name}()`),
    construct: () => standIn(`new ${name}`) as object,
  });
}

/** The names `vscode` exports, read from its type declarations (esbuild's CommonJS
 * interop copies a module's own property names, so the stand-in must list them). */
function vscodeExportNames(): string[] {
  const types = fs.readFileSync(require.resolve('@types/vscode/index.d.ts'), 'utf8');
  const names = [...types.matchAll(/^\texport (?:namespace|class|enum|const|let|function) (\w+)/gm)].map((m) => m[1]!);
  assert.ok(names.length > 100, 'could not read the vscode API names');
  return [...new Set(names)];
}

/** A stand-in for the `vscode` module: a plain object with every exported name. */
function vscodeStandIn(overrides: Record<string, unknown>): Record<string, unknown> {
  const api: Record<string, unknown> = {};
  for (const name of vscodeExportNames()) {
    api[name] = standIn(`vscode.${name}`);
  }
  return Object.assign(api, overrides);
}

interface Manifest {
  main: string;
  contributes: { commands: { command: string }[] };
  activationEvents: string[];
}

type Loader = (request: string, parent: unknown, isMain: boolean) => unknown;

describe('extension bundle', function () {
  this.timeout(30_000);
  let bundle: string;
  let tmp: string;
  const registered: string[] = [];
  const moduleWithLoad = Module as unknown as { _load: Loader };
  const originalLoad = moduleWithLoad._load;

  before(async function () {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'codesift-bundle-'));
    bundle = path.join(tmp, 'extension.js');
    await esbuild.build({
      entryPoints: [path.join(EXTENSION_DIR, 'src', 'extension.ts')],
      outfile: bundle,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      external: ['vscode'],
      logLevel: 'silent',
    });
    const vscode = vscodeStandIn({
      commands: standIn('vscode.commands', {
        registerCommand: (id: string) => {
          registered.push(id);
          return { dispose: () => undefined };
        },
      }),
      workspace: standIn('vscode.workspace', {
        workspaceFolders: undefined, // no folder: the server is started on first use
        getConfiguration: () => ({ get: () => undefined, inspect: () => undefined }),
      }),
    });
    moduleWithLoad._load = function (request, parent, isMain) {
      return request === 'vscode' ? vscode : originalLoad.call(this, request, parent, isMain);
    };
  });

  after(function () {
    moduleWithLoad._load = originalLoad;
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('loads, activates and registers every contributed command', async function () {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const extension = require(bundle) as {
      activate(context: unknown): void;
      deactivate(): Promise<void>;
    };
    assert.equal(typeof extension.activate, 'function');
    assert.equal(typeof extension.deactivate, 'function');
    extension.activate({ subscriptions: [] });
    const manifest = JSON.parse(fs.readFileSync(path.join(EXTENSION_DIR, 'package.json'), 'utf8')) as Manifest;
    const contributed = manifest.contributes.commands.map((c) => c.command).sort();
    assert.deepEqual([...registered].sort(), contributed);
    // the server's own command is registered by the language client, never by us
    assert.ok(!contributed.includes('codesift.relevantCode'));
    await extension.deactivate();
  });

  it('the manifest points at the bundle and activates on workspaces with code', function () {
    const manifest = JSON.parse(fs.readFileSync(path.join(EXTENSION_DIR, 'package.json'), 'utf8')) as Manifest;
    assert.equal(manifest.main, './dist/extension.js');
    assert.ok(!manifest.activationEvents.includes('onStartupFinished')); // not every window
    assert.ok(manifest.activationEvents.some((e) => e.startsWith('workspaceContains:**/*.{py')));
    assert.ok(manifest.activationEvents.includes('workspaceContains:codesift.toml'));
  });
});
