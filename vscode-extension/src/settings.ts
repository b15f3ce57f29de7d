// VS Code settings -> the server's configuration, and the server command line.
// No `vscode` import: the extension passes in readers, the tests pass in plain objects.

import * as path from 'node:path';

export type SettingKind = 'string' | 'integer' | 'boolean' | 'string[]';

export interface SettingSpec {
  /** The key under `codesift.` in VS Code, e.g. `rerank.lightModel`. */
  readonly key: string;
  readonly kind: SettingKind;
  readonly minimum?: number;
}

/** The server settings the extension mirrors (all of them exist in codesift's config;
 * see docs/CONFIGURATION.md). The server key is the snake_case form of each part. */
export const SERVER_SETTINGS: readonly SettingSpec[] = [
  { key: 'rerank.enabled', kind: 'boolean' },
  { key: 'rerank.lightModel', kind: 'string' },
  { key: 'rerank.heavyModel', kind: 'string' },
  { key: 'rerank.lightKeep', kind: 'integer', minimum: 1 },
  { key: 'rerank.interactiveBudgetMs', kind: 'integer', minimum: 0 },
  { key: 'rerank.backgroundEmbed', kind: 'boolean' },
  { key: 'retrieve.poolSize', kind: 'integer', minimum: 1 },
  { key: 'scan.extraIgnore', kind: 'string[]' },
  { key: 'scan.maxFileBytes', kind: 'integer', minimum: 1 },
];

/** Settings that only the extension reads (never sent to the server). */
export const CLIENT_SETTINGS = ['enable', 'serverCommand', 'search.limit', 'trace.server'] as const;

/** The server's configuration shape: `{"rerank": {"light_model": ...}, ...}`. */
export type ServerSettings = Record<string, Record<string, unknown>>;

export interface MappedSettings {
  settings: ServerSettings;
  /** One line per setting that was dropped because its value has the wrong type. */
  problems: string[];
}

export function camelToSnake(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** `rerank.lightModel` -> `['rerank', 'light_model']`. */
export function serverPath(key: string): [string, string] {
  const [section, name, ...rest] = key.split('.');
  if (section === undefined || name === undefined || rest.length > 0) {
    throw new Error(`setting key must be section.name: ${key}`);
  }
  return [camelToSnake(section), camelToSnake(name)];
}

function checkValue(spec: SettingSpec, value: unknown): string | undefined {
  switch (spec.kind) {
    case 'string':
      return typeof value === 'string' ? undefined : 'a string';
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'true or false';
    case 'integer': {
      const ok =
        typeof value === 'number' &&
        Number.isInteger(value) &&
        (spec.minimum === undefined || value >= spec.minimum);
      if (ok) {
        return undefined;
      }
      return spec.minimum === undefined ? 'an integer' : `an integer >= ${spec.minimum}`;
    }
    case 'string[]':
      return Array.isArray(value) && value.every((v) => typeof v === 'string')
        ? undefined
        : 'a list of strings';
  }
}

/**
 * Builds the server's settings object from the values the user has set.
 *
 * `read(key)` returns the user's value for `codesift.<key>`, or `undefined` when the
 * user has not set it: unset settings are left out, so the server's own defaults and
 * the workspace's `codesift.toml` apply to them.
 */
export function toServerSettings(read: (key: string) => unknown): MappedSettings {
  const settings: ServerSettings = {};
  const problems: string[] = [];
  for (const spec of SERVER_SETTINGS) {
    const value = read(spec.key);
    if (value === undefined || value === null) {
      continue;
    }
    const expected = checkValue(spec, value);
    if (expected !== undefined) {
      problems.push(`codesift.${spec.key} should be ${expected}, got ${JSON.stringify(value)}; ignored`);
      continue;
    }
    const [section, name] = serverPath(spec.key);
    (settings[section] ??= {})[name] = Array.isArray(value) ? [...(value as string[])] : value;
  }
  return { settings, problems };
}

/** Order-independent comparison of two settings objects (to skip no-op updates). */
export function sameSettings(a: ServerSettings, b: ServerSettings): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) {
    return `[${value.map(canonicalJson).join(',')}]`;
  }
  if (typeof value === 'object' && value !== null) {
    const entries = Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}

// -- the server command ----------------------------------------------------------------

export class CommandLineError extends Error {}

/** A command line: the program, then its arguments. */
export type Argv = [string, ...string[]];

/**
 * Splits a command line into words: whitespace separates words, single quotes keep
 * everything literally, double quotes group words, and a backslash escapes a quote,
 * a backslash or whitespace (any other backslash is kept, so Windows paths work).
 * No variables, globs or other shell expansion.
 */
export function splitCommandLine(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line.charAt(i);
    if (quote === "'") {
      if (c === "'") {
        quote = undefined;
      } else {
        word += c;
      }
      continue;
    }
    if (c === '\\' && i + 1 < line.length) {
      const next = line.charAt(i + 1);
      const escapable = quote === '"' ? next === '"' || next === '\\' : /["'\\\s]/.test(next);
      if (escapable) {
        word += next;
        inWord = true;
        i++;
        continue;
      }
    }
    if (quote === '"') {
      if (c === '"') {
        quote = undefined;
      } else {
        word += c;
      }
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) {
        words.push(word);
        word = '';
        inWord = false;
      }
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote !== undefined) {
    throw new CommandLineError(`unbalanced ${quote} in ${JSON.stringify(line)}`);
  }
  if (inWord) {
    words.push(word);
  }
  return words;
}

/**
 * The `codesift.serverCommand` setting as argv, or `undefined` when it is unset or
 * empty (the default applies). Throws CommandLineError for a value of the wrong shape.
 */
export function parseServerCommand(value: unknown): Argv | undefined {
  if (value === undefined || value === null) {
    return undefined;
  }
  if (typeof value === 'string') {
    const [program, ...args] = splitCommandLine(value);
    return program === undefined ? undefined : [program, ...args];
  }
  if (Array.isArray(value)) {
    if (!value.every((v) => typeof v === 'string')) {
      throw new CommandLineError('codesift.serverCommand must be a string or a list of strings');
    }
    const [program, ...args] = value;
    if (program === undefined) {
      return undefined;
    }
    if (program.trim() === '') {
      throw new CommandLineError('codesift.serverCommand: the program name is empty');
    }
    return [program, ...args];
  }
  throw new CommandLineError('codesift.serverCommand must be a string or a list of strings');
}

/** Looks `name` up on PATH like a shell would (with PATHEXT on Windows). */
export function findOnPath(
  name: string,
  env: Record<string, string | undefined>,
  platform: string,
  isExecutable: (file: string) => boolean,
): string | undefined {
  const windows = platform === 'win32';
  const lib = windows ? path.win32 : path.posix;
  const pathVar = env.PATH ?? env.Path ?? '';
  const extensions = windows
    ? ['', ...(env.PATHEXT ?? '.COM;.EXE;.BAT;.CMD').split(';').filter((e) => e !== '')]
    : [''];
  for (const dir of pathVar.split(windows ? ';' : ':')) {
    if (dir === '') {
      continue;
    }
    for (const ext of extensions) {
      const candidate = lib.join(dir, name + ext);
      if (isExecutable(candidate)) {
        return candidate;
      }
    }
  }
  return undefined;
}

export type CommandSource = 'setting' | 'path' | 'private-env' | 'python-extension' | 'python-fallback';

export interface ServerCommand {
  command: string;
  args: string[];
  source: CommandSource;
}

export interface CommandInputs {
  /** The raw `codesift.serverCommand` value. */
  configured: unknown;
  /** Where `codesift` is on PATH, if it is. */
  codesiftOnPath: string | undefined;
  /** The selected interpreter's command from the Python extension (it may have
   * several words, e.g. `conda run -n env python`), if that extension is present. */
  pythonCommand: string[] | undefined;
  platform: string;
}

/**
 * Which command starts the server: the setting; else `codesift serve` when codesift is
 * on PATH; else `<python> -m codesift serve` with the Python extension's interpreter,
 * or `python3` (`python` on Windows) without it.
 */
export function resolveServerCommand(inputs: CommandInputs): ServerCommand {
  const configured = parseServerCommand(inputs.configured);
  if (configured !== undefined) {
    const [command, ...args] = configured;
    return { command, args, source: 'setting' };
  }
  if (inputs.codesiftOnPath !== undefined) {
    return { command: inputs.codesiftOnPath, args: ['serve'], source: 'path' };
  }
  const [python, ...pythonArgs] = inputs.pythonCommand?.filter((w) => w !== '') ?? [];
  if (python !== undefined) {
    return {
      command: python,
      args: [...pythonArgs, '-m', 'codesift', 'serve'],
      source: 'python-extension',
    };
  }
  const fallback = inputs.platform === 'win32' ? 'python' : 'python3';
  return { command: fallback, args: ['-m', 'codesift', 'serve'], source: 'python-fallback' };
}

/** A command line for messages and logs (words with spaces are quoted). */
export function formatCommand(command: ServerCommand): string {
  return [command.command, ...command.args]
    .map((w) => (w === '' || /[\s"']/.test(w) ? JSON.stringify(w) : w))
    .join(' ');
}

/** How the language client runs the server. Deliberately no `transport`: given one,
 * vscode-languageclient appends `--stdio` to an executable's arguments; without one it
 * talks stdio to the process as started. */
export function serverExecutable(
  command: ServerCommand,
  cwd: string | undefined,
  env: Record<string, string | undefined>,
): { command: string; args: string[]; options: { cwd: string | undefined; env: Record<string, string | undefined> } } {
  return { command: command.command, args: [...command.args], options: { cwd, env } };
}
