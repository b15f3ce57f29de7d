// Runs the server set-up that `provision.ts` plans: asks first (never silently), shows
// progress, writes pip's output to the CodeSift log, explains a failure and what to do
// by hand. An environment made for an older bundled version is replaced without asking
// again (the user agreed to a private environment before).

import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';

import {
  type BundledWheel,
  type PrivateEnv,
  type SetupStep,
  bundledWheel,
  installCommands,
  isSupported,
  parsePythonVersion,
  privateEnv,
  progressLine,
  pythonCandidates,
  setupAdvice,
  staleEnvs,
} from './provision';
import type { ServerCommand } from './settings';

const CHECK_TIMEOUT_MS = 20_000;
const INSTALL_TIMEOUT_MS = 15 * 60_000;
export const SET_UP = 'Set Up';
export const CHOOSE_COMMAND = 'Choose Command…';

class SetupError extends Error {
  constructor(
    readonly step: SetupStep,
    readonly detail: string,
  ) {
    super(setupAdvice(step, detail));
  }
}

interface Ran {
  code: number;
  tail: string;
}

/** Runs a command; each chunk of its output goes to `onOutput`; never rejects. */
function run(argv: readonly string[], timeoutMs: number, onOutput?: (text: string) => void): Promise<Ran> {
  return new Promise((resolve) => {
    let tail = '';
    const keep = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      tail = (tail + text).slice(-2000);
      onOutput?.(text);
    };
    let child;
    try {
      child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
    } catch (error) {
      resolve({ code: -1, tail: String(error) });
      return;
    }
    const timer = setTimeout(() => child.kill(), timeoutMs);
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ code: -1, tail: `${tail}\n${error.message}` });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, tail });
    });
  });
}

/** The codesift wheel shipped in the extension's `server/` folder, if any. */
export function shippedWheel(extensionPath: string): BundledWheel | undefined {
  try {
    return bundledWheel(fs.readdirSync(path.join(extensionPath, 'server')));
  } catch {
    return undefined;
  }
}

/** The server of a private environment already set up for this wheel, if there is one. */
export function readyServer(storage: string, wheel: BundledWheel): ServerCommand | undefined {
  const env = privateEnv(storage, wheel.version, process.platform);
  return fs.existsSync(env.ready) && fs.existsSync(env.codesift)
    ? { command: env.codesift, args: ['serve'], source: 'private-env' }
    : undefined;
}

/** Whether `<python> -m codesift serve` would start: codesift is importable there. */
export async function canImportCodesift(command: ServerCommand): Promise<boolean> {
  const dashM = command.args.indexOf('-m');
  if (dashM < 0) {
    return true; // not a python -m command: nothing to check here
  }
  const python = [command.command, ...command.args.slice(0, dashM)];
  return (await run([...python, '-c', 'import codesift'], CHECK_TIMEOUT_MS)).code === 0;
}

async function findPython(fromExtension: string[] | undefined): Promise<string[] | undefined> {
  for (const candidate of pythonCandidates(fromExtension, process.platform)) {
    const ran = await run([...candidate, '-c', 'import sys; print(*sys.version_info[:2])'], CHECK_TIMEOUT_MS);
    if (ran.code === 0 && isSupported(parsePythonVersion(ran.tail))) {
      return candidate;
    }
  }
  return undefined;
}

export class ServerSetup {
  constructor(
    private readonly storage: string,
    private readonly extensionPath: string,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  /**
   * Offers to set the server up (or, when an older version was set up before, replaces
   * it); the command of the ready server, or undefined when the user declined or it
   * failed (the failure was shown).
   */
  async offer(wheel: BundledWheel, fromExtension: string[] | undefined): Promise<ServerCommand | undefined> {
    const previous = fs.existsSync(this.storage) ? staleEnvs(fs.readdirSync(this.storage), wheel.version) : [];
    if (previous.length === 0) {
      const answer = await vscode.window.showInformationMessage(
        'CodeSift needs its language server, which is not installed. Set it up in a private ' +
          `environment? This installs codesift ${wheel.version} (shipped with the extension) and its ` +
          'dependencies from the Python package index with a Python >= 3.11 found on this machine ' +
          '(about 1–3 minutes).',
        SET_UP,
        CHOOSE_COMMAND,
      );
      if (answer === CHOOSE_COMMAND) {
        await vscode.commands.executeCommand('workbench.action.openSettings', 'codesift.serverCommand');
        return undefined;
      }
      if (answer !== SET_UP) {
        return undefined;
      }
    }
    try {
      return await this.setUp(wheel, fromExtension);
    } catch (error) {
      const message = error instanceof SetupError ? error.message : setupAdvice('install', String(error));
      this.log.error(message);
      void vscode.window.showErrorMessage(message, 'Show Log').then((pick) => {
        if (pick === 'Show Log') {
          this.log.show();
        }
      });
      return undefined;
    }
  }

  private setUp(wheel: BundledWheel, fromExtension: string[] | undefined): Thenable<ServerCommand> {
    const env = privateEnv(this.storage, wheel.version, process.platform);
    const wheelPath = path.join(this.extensionPath, 'server', wheel.file);
    return vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'CodeSift: setting up the server' },
      async (progress) => {
        const started = Date.now();
        progress.report({ message: 'looking for Python >= 3.11…' });
        const python = await findPython(fromExtension);
        if (python === undefined) {
          throw new SetupError('python', '');
        }
        fs.mkdirSync(this.storage, { recursive: true });
        this.log.info(`setting up the server in ${env.dir} with ${python.join(' ')}`);
        const [venv, install] = installCommands(python, env, wheelPath);
        progress.report({ message: `creating a virtual environment (${python.join(' ')})…` });
        await this.step('venv', venv!, () => undefined);
        progress.report({ message: 'installing codesift and its dependencies…' });
        await this.step('install', install!, (text) => {
          const line = progressLine(text);
          if (line !== undefined) {
            progress.report({ message: line });
          }
        });
        await this.step('check', [env.codesift, '--version'], () => undefined);
        fs.writeFileSync(env.ready, `${wheel.version}\n`);
        this.removeStale(wheel, env);
        this.log.info(`server set up in ${((Date.now() - started) / 1000).toFixed(0)} s`);
        return { command: env.codesift, args: ['serve'], source: 'private-env' as const };
      },
    );
  }

  private async step(name: SetupStep, argv: string[], onOutput: (text: string) => void): Promise<void> {
    this.log.info(`$ ${argv.join(' ')}`);
    const ran = await run(argv, INSTALL_TIMEOUT_MS, (text) => {
      this.log.info(text.trimEnd());
      onOutput(text);
    });
    if (ran.code !== 0) {
      throw new SetupError(name, ran.tail);
    }
  }

  private removeStale(wheel: BundledWheel, env: PrivateEnv): void {
    for (const stale of staleEnvs(fs.readdirSync(this.storage), wheel.version)) {
      const dir = path.join(this.storage, stale);
      if (dir !== env.dir) {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }
  }
}
