// Setting up the server for a user who has none: a private virtual environment in the
// extension's global storage, made with a Python >= 3.11 found on the machine, holding
// the codesift wheel shipped inside the .vsix (dependencies come from the package index).
// Plain logic, no `vscode` import: the extension runs the steps, the tests check them.

import * as path from 'node:path';

export const MIN_PYTHON: readonly [number, number] = [3, 11];
/** Written into the environment once codesift is installed there: its version. */
export const READY_FILE = 'codesift-ready';

export interface BundledWheel {
  file: string;
  version: string;
}

/** The codesift wheel among the files of the extension's `server/` folder. */
export function bundledWheel(files: readonly string[]): BundledWheel | undefined {
  for (const file of files) {
    const match = /^codesift-(\d+(?:\.\d+)*(?:[a-z]+\d+)?)-py3-none-any\.whl$/.exec(file);
    if (match !== null) {
      return { file, version: match[1]! };
    }
  }
  return undefined;
}

/** `major.minor` from the output of `python -c "import sys; print(*sys.version_info[:2])"`. */
export function parsePythonVersion(output: string): [number, number] | undefined {
  const match = /^\s*(\d+)\s+(\d+)\s*$/.exec(output);
  return match === null ? undefined : [Number(match[1]), Number(match[2])];
}

export function isSupported(version: readonly [number, number] | undefined): boolean {
  if (version === undefined) {
    return false;
  }
  const [major, minor] = version;
  return major > MIN_PYTHON[0] || (major === MIN_PYTHON[0] && minor >= MIN_PYTHON[1]);
}

/** Pythons to try, best first: the Python extension's interpreter, then versioned and
 * plain names on PATH (`py -3` on Windows). */
export function pythonCandidates(fromExtension: readonly string[] | undefined, platform: string): string[][] {
  const out: string[][] = [];
  if (fromExtension !== undefined && fromExtension.length > 0) {
    out.push([...fromExtension]);
  }
  if (platform === 'win32') {
    out.push(['py', '-3'], ['python']);
  } else {
    out.push(['python3.13'], ['python3.12'], ['python3.11'], ['python3']);
  }
  return out;
}

export interface PrivateEnv {
  dir: string;
  python: string;
  codesift: string;
  ready: string;
}

/** Where the private environment of one codesift version lives. */
export function privateEnv(storage: string, version: string, platform: string): PrivateEnv {
  const lib = platform === 'win32' ? path.win32 : path.posix;
  const dir = lib.join(storage, `server-${version}`);
  const bin = platform === 'win32' ? lib.join(dir, 'Scripts') : lib.join(dir, 'bin');
  const exe = platform === 'win32' ? '.exe' : '';
  return {
    dir,
    python: lib.join(bin, `python${exe}`),
    codesift: lib.join(bin, `codesift${exe}`),
    ready: lib.join(dir, READY_FILE),
  };
}

/** Older private environments to delete once the current one is ready. */
export function staleEnvs(entries: readonly string[], version: string): string[] {
  return entries.filter((e) => /^server-/.test(e) && e !== `server-${version}`);
}

/** The commands that make the environment: venv, then pip installs the wheel. */
export function installCommands(python: readonly string[], env: PrivateEnv, wheel: string): string[][] {
  return [
    [...python, '-m', 'venv', '--clear', env.dir],
    [env.python, '-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', '--progress-bar', 'off', wheel],
  ];
}

export type SetupStep = 'python' | 'venv' | 'install' | 'check';

/** What the user reads when setting up failed, with what to do by hand. */
export function setupAdvice(step: SetupStep, detail: string): string {
  const byHand =
    'Install it by hand instead: `pipx install codesift` (or `pip install codesift` in a ' +
    'Python >= 3.11 environment), then reload, or set `codesift.serverCommand`.';
  const what: Record<SetupStep, string> = {
    python: `no Python >= ${MIN_PYTHON.join('.')} was found (tried the Python extension's interpreter and python3 on PATH)`,
    venv: 'creating the virtual environment failed (on Debian and Ubuntu: `sudo apt install python3-venv`)',
    install: 'installing codesift and its dependencies failed (they come from the Python package index: is it reachable?)',
    check: 'the installed server did not run',
  };
  const tail = detail.trim().split('\n').slice(-3).join(' ').slice(0, 300);
  return `CodeSift: setting up the server: ${what[step]}${tail ? ` (${tail})` : ''}. ${byHand}`;
}

/** The last meaningful line of pip's output, for the progress notification. */
export function progressLine(chunk: string): string | undefined {
  const lines = chunk
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const last = lines.at(-1);
  if (last === undefined) {
    return undefined;
  }
  return last.length > 80 ? `${last.slice(0, 79)}…` : last;
}
