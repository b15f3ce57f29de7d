// VS Code glue: starts `codesift serve`, wires commands, the search picker and the status
// bar to the logic in the other modules (which do not import `vscode` and are unit-tested).

import * as fs from 'node:fs';

import * as vscode from 'vscode';
import {
  CloseAction,
  DidChangeConfigurationNotification,
  ExecuteCommandRequest,
  LanguageClient,
  ProgressType,
  State,
  type LanguageClientOptions,
  type ServerOptions,
} from 'vscode-languageclient/node';

import { CRASH_RESTART_DELAY_MS, CRASH_WINDOW_MS, CrashRestarts } from './crashes';
import { IndexProgress } from './indexProgress';
import {
  OPENED,
  REINDEX,
  RELEVANT_CODE,
  SEARCH,
  STATUS,
  errorMessage,
  type OpenedParams,
  type Range as WireRange,
  type SearchAnswer,
  type SearchHit,
  type Snapshot,
  type Status,
} from './protocol';
import {
  matchRanges,
  messageRow,
  renderItems,
  renderStatus,
  searchTitle,
  relevantOrigin,
  selectionFor,
  toLocations,
} from './render';
import { SearchController, type SearchState, type SearchTransport } from './search';
import { ServerSetup, canImportCodesift, readyServer, shippedWheel } from './setup';
import {
  CommandLineError,
  findOnPath,
  formatCommand,
  parseServerCommand,
  resolveServerCommand,
  sameSettings,
  serverExecutable,
  toServerSettings,
  type ServerCommand,
  type ServerSettings,
} from './settings';

const SECTION = 'codesift';
const SEARCH_DEBOUNCE_MS = 120;
const STATUS_POLL_MS = 2000;
const PYTHON_API_TIMEOUT_MS = 5000;
const START_SETTLE_MS = 30_000;
const SHUTDOWN_SETTLE_MS = 2_000;

let extension: CodesiftExtension | undefined;

export function activate(context: vscode.ExtensionContext): void {
  extension = new CodesiftExtension(context);
  extension.activate();
}

export async function deactivate(): Promise<void> {
  await extension?.stop(SHUTDOWN_SETTLE_MS); // VS Code gives extensions about 5 s here
  extension = undefined;
}

interface PickItem extends vscode.QuickPickItem {
  hit?: SearchHit;
}

/** The parts of the Python extension's API used here (ms-python.python). */
interface PythonExtensionApi {
  environments?: {
    getActiveEnvironmentPath(resource?: vscode.Uri): { path: string };
    resolveEnvironment(
      environment: { path: string } | string,
    ): Promise<{ executable: { uri?: vscode.Uri } } | undefined>;
  };
  settings?: {
    getExecutionDetails(resource?: vscode.Uri): { execCommand: string[] | undefined };
  };
}

class CodesiftExtension {
  private client: LanguageClient | undefined;
  private starting: Promise<LanguageClient> | undefined;
  /** A stop in progress: a new client waits for it (the old one may still hold commands). */
  private stopping: Promise<void> | undefined;
  private command: ServerCommand | undefined;
  private sentSettings: ServerSettings = {};
  private readonly log: vscode.LogOutputChannel;
  private readonly statusChannel: vscode.OutputChannel;
  private readonly statusItem: vscode.StatusBarItem;
  private readonly progress = new IndexProgress();
  /** The query's words in an opened result, styled like the editor's find matches. */
  readonly matchDecoration = vscode.window.createTextEditorDecorationType({
    backgroundColor: new vscode.ThemeColor('editor.findMatchHighlightBackground'),
    fontWeight: 'bold', // still visible under the selection of the result's lines
    borderRadius: '2px',
  });
  private pollTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly crashes = new CrashRestarts();
  private regex = false;

  constructor(private readonly context: vscode.ExtensionContext) {
    this.log = vscode.window.createOutputChannel('CodeSift', { log: true });
    this.statusChannel = vscode.window.createOutputChannel('CodeSift Status');
    this.statusItem = vscode.window.createStatusBarItem('codesift.status', vscode.StatusBarAlignment.Left, 10);
    this.statusItem.name = 'CodeSift';
    this.statusItem.command = 'codesift.showStatus';
    context.subscriptions.push(this.log, this.statusChannel, this.statusItem, this.matchDecoration);
  }

  activate(): void {
    const register = (id: string, fn: () => Promise<void>) =>
      this.context.subscriptions.push(
        vscode.commands.registerCommand(id, () =>
          fn().catch((error: unknown) => this.showError(error)),
        ),
      );
    register('codesift.search', () => this.search());
    register('codesift.goToRelevantCode', () => this.goToRelevantCode());
    register('codesift.reindex', () => this.reindex());
    register('codesift.showStatus', () => this.showStatus());
    register('codesift.restartServer', () => this.restart());

    this.context.subscriptions.push(
      vscode.workspace.onDidChangeConfiguration((event) => this.configurationChanged(event)),
      vscode.workspace.onDidChangeWorkspaceFolders(() => {
        if (this.client === undefined && this.starting === undefined && hasFolders()) {
          void this.ensureClient().catch(() => undefined);
        }
      }),
    );
    this.refreshStatusBar();
    this.statusItem.show();
    if (hasFolders() && isEnabled()) {
      // start in the background; failures are shown by startClient, and commands wait
      // for the start themselves
      void this.ensureClient().catch(() => undefined);
    }
  }

  // -- the language client ------------------------------------------------------------

  /** The running client, starting it first when needed. */
  private ensureClient(): Promise<LanguageClient> {
    if (!isEnabled()) {
      return Promise.reject(new Error('CodeSift is turned off for this workspace (codesift.enable).'));
    }
    if (this.client !== undefined && this.client.state !== State.Stopped) {
      return Promise.resolve(this.client);
    }
    this.starting ??= this.startClient().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  private async startClient(): Promise<LanguageClient> {
    await this.stopping; // the previous client first lets go of its commands
    let command: ServerCommand;
    try {
      command = await this.resolveCommand();
    } catch (error) {
      this.progress.setFailed(errorMessage(error));
      this.refreshStatusBar();
      throw error;
    }
    this.command = command;
    this.log.info(`starting the server: ${formatCommand(command)} (${command.source})`);

    const run = serverExecutable(command, vscode.workspace.workspaceFolders?.[0]?.uri.fsPath, process.env);
    const serverOptions: ServerOptions = { run, debug: run };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [{ scheme: 'file' }],
      outputChannel: this.log,
      // the library never restarts the server itself: a crash goes through this
      // extension's own start and stop (crashes.ts)
      errorHandler: {
        // message errors: the library's own rule (stateless)
        error: (error, message, count) => client.createDefaultErrorHandler().error(error, message, count),
        closed: () => ({
          action: CloseAction.DoNotRestart, // the library's wording is "will not be restarted"
          message: this.serverClosed(client),
          handled: true,
        }),
      },
      // read at each (re)start, so a restart after a crash gets the current settings
      initializationOptions: () => {
        this.sentSettings = this.readSettings();
        return this.sentSettings;
      },
      middleware: {
        handleWorkDoneProgress: (token, params, next) => {
          next(token, params);
          if (this.client !== client) {
            return; // a replaced client's last messages say nothing about the new server
          }
          if (this.progress.onProgress(token, params)) {
            this.refreshStatusBar();
            if (params.kind === 'end' && !this.progress.indexing) {
              void this.refreshStatus();
            }
          }
        },
        executeCommand: async (name, args, next) => {
          const result: unknown = await next(name, args);
          if (name === RELEVANT_CODE) {
            // the server's code action: show what it found where it was invoked
            await this.showRelevant(args, result);
          }
          return result;
        },
      },
    };
    const client = new LanguageClient('codesift', 'CodeSift', serverOptions, clientOptions);
    client.onDidChangeState((event) => {
      if (event.newState === State.Stopped && this.client === client) {
        this.progress.clearRuns();
        this.progress.setFailed('the language server is not running');
        this.refreshStatusBar();
      } else if (event.newState === State.Running) {
        this.progress.setFailed(undefined);
        this.refreshStatusBar();
      }
    });
    this.client = client;
    try {
      await client.start();
    } catch (error) {
      this.client = undefined;
      void client.dispose().catch(() => undefined);
      this.progress.setFailed(`the server did not start (${formatCommand(command)})`);
      this.refreshStatusBar();
      void this.offerSettings(
        `CodeSift: could not start the language server with \`${formatCommand(command)}\`: ` +
          `${errorMessage(error)}. Install codesift (pip install codesift) or set codesift.serverCommand.`,
      );
      throw error;
    }
    void this.refreshStatus();
    return client;
  }

  /** The server of `client` died without being asked to: restart it shortly (the status
   * bar shows the crash meanwhile), unless it keeps dying. Returns what the log says. */
  private serverClosed(client: LanguageClient): string {
    if (this.client !== client) {
      return 'The language server stopped.'; // stopped or replaced on purpose
    }
    if (!this.crashes.record(Date.now())) {
      const message =
        `CodeSift: the language server stopped unexpectedly ${this.crashes.recent} times in ` +
        `${CRASH_WINDOW_MS / 60_000} minutes and is not started again; see the CodeSift ` +
        `output, then run "CodeSift: Restart Server".`;
      void vscode.window.showErrorMessage(message);
      return message;
    }
    setTimeout(() => {
      if (this.client === client && isEnabled()) {
        this.restart().catch((error: unknown) => this.showError(error));
      }
    }, CRASH_RESTART_DELAY_MS);
    return 'The language server stopped unexpectedly; CodeSift starts it again.';
  }

  async stop(settleMs = START_SETTLE_MS): Promise<void> {
    if (this.pollTimer !== undefined) {
      clearTimeout(this.pollTimer);
      this.pollTimer = undefined;
    }
    const client = this.client;
    this.client = undefined;
    if (client === undefined) {
      return this.stopping;
    }
    const previous = this.stopping;
    const stopping = (async () => {
      await previous;
      // a client caught starting cannot be stopped and would keep its commands
      // registered, so the next client could not register them: let the start settle
      await settled(client, settleMs);
      try {
        await client.dispose(); // stops the server first when it runs
      } catch (error) {
        this.log.warn(`stopping the server: ${errorMessage(error)}`);
      }
    })();
    this.stopping = stopping;
    await stopping;
    if (this.stopping === stopping) {
      this.stopping = undefined;
    }
  }

  private async restart(): Promise<void> {
    await this.stop();
    this.progress.reset();
    this.refreshStatusBar();
    await this.ensureClient();
  }

  /** `codesift.serverCommand`, else `codesift serve` from PATH, else the private
   * environment set up for the shipped wheel, else Python with codesift installed, else
   * an offer to set the private environment up. */
  private async resolveCommand(): Promise<ServerCommand> {
    const configured = vscode.workspace.getConfiguration(SECTION).get<unknown>('serverCommand');
    const inputs = {
      configured,
      codesiftOnPath: undefined as string | undefined,
      pythonCommand: undefined as string[] | undefined,
      platform: process.platform,
    };
    if (parseServerCommand(configured) !== undefined) {
      return resolveServerCommand(inputs);
    }
    inputs.codesiftOnPath = findOnPath('codesift', process.env, process.platform, isExecutable);
    if (inputs.codesiftOnPath !== undefined) {
      return resolveServerCommand(inputs);
    }
    const wheel = shippedWheel(this.context.extensionPath);
    const storage = this.context.globalStorageUri.fsPath;
    const ready = wheel !== undefined ? readyServer(storage, wheel) : undefined;
    if (ready !== undefined) {
      return ready;
    }
    inputs.pythonCommand = await pythonFromExtension();
    const viaPython = resolveServerCommand(inputs);
    if (wheel === undefined || (await canImportCodesift(viaPython))) {
      return viaPython;
    }
    const setUp = await new ServerSetup(storage, this.context.extensionPath, this.log).offer(
      wheel,
      inputs.pythonCommand,
    );
    return setUp ?? viaPython; // declined or failed: the start fails and says how to install
  }

  /** The mirrored server settings the user has set (unset ones are left to the server). */
  private readSettings(): ServerSettings {
    const config = vscode.workspace.getConfiguration(SECTION);
    const { settings, problems } = toServerSettings((key) => {
      const info = config.inspect(key);
      return info?.workspaceValue ?? info?.globalValue;
    });
    for (const problem of problems) {
      this.log.warn(problem);
      void vscode.window.showWarningMessage(`CodeSift: ${problem}`);
    }
    return settings;
  }

  private configurationChanged(event: vscode.ConfigurationChangeEvent): void {
    if (!event.affectsConfiguration(SECTION)) {
      return;
    }
    if (event.affectsConfiguration(`${SECTION}.enable`)) {
      this.progress.reset();
      this.refreshStatusBar(); // "off", or "starting" until the new server reports
      const change = isEnabled() ? this.restart() : this.stop();
      void change.then(() => this.refreshStatusBar()).catch((error: unknown) => this.showError(error));
      return;
    }
    if (event.affectsConfiguration(`${SECTION}.serverCommand`)) {
      void this.restart().catch((error: unknown) => this.showError(error));
      return;
    }
    const settings = this.readSettings();
    const client = this.client;
    if (client === undefined || !client.isRunning() || sameSettings(settings, this.sentSettings)) {
      return;
    }
    this.sentSettings = settings;
    this.log.info(`settings changed: ${JSON.stringify(settings)}`);
    void client
      .sendNotification(DidChangeConfigurationNotification.type, { settings })
      .catch((error: unknown) => this.showError(error));
  }

  // -- commands ------------------------------------------------------------------------

  private async search(): Promise<void> {
    const client = await this.ensureClient();
    const transport: SearchTransport = {
      search: async (params, onSnapshot, token) => {
        const progress = client.onProgress(
          new ProgressType<Snapshot>(),
          params.partialResultToken ?? '',
          onSnapshot,
        );
        try {
          return await client.sendRequest<SearchAnswer>(SEARCH, params, token);
        } finally {
          progress.dispose();
        }
      },
    };
    const limit = vscode.workspace.getConfiguration(SECTION).get<number>('search.limit', 30);
    const picker = vscode.window.createQuickPick<PickItem>();
    picker.placeholder = 'An identifier, a few words, or a regex';
    picker.matchOnDescription = false;
    picker.matchOnDetail = false;
    keepItemOrder(picker);
    const regexButton = (): vscode.QuickInputButton => ({
      iconPath: this.regex
        ? new vscode.ThemeIcon('regex', new vscode.ThemeColor('inputOption.activeForeground'))
        : new vscode.ThemeIcon('regex'),
      tooltip: this.regex ? 'Regular expression: on (click to turn off)' : 'Use regular expression',
    });
    picker.buttons = [regexButton()];

    const render = (state: SearchState) => {
      picker.busy = state.busy;
      picker.title = searchTitle(state);
      const row = messageRow(state);
      picker.items =
        row !== undefined
          ? [{ label: row, alwaysShow: true }]
          : renderItems(state.results).map((item) => ({
              label: item.label,
              description: item.description,
              detail: item.detail,
              iconPath: new vscode.ThemeIcon(item.icon),
              alwaysShow: true, // the server ranks; the picker must not filter
              hit: item.hit,
            }));
    };
    const controller = new SearchController(transport, render, {
      limit,
      debounceMs: SEARCH_DEBOUNCE_MS,
    });
    controller.setRegex(this.regex);
    render(controller.current);

    picker.onDidChangeValue((value) => controller.setQuery(value));
    picker.onDidTriggerButton(() => {
      this.regex = !this.regex;
      picker.buttons = [regexButton()];
      controller.setRegex(this.regex);
    });
    picker.onDidAccept(() => {
      const item = picker.selectedItems[0] ?? picker.activeItems[0];
      const hit = item?.hit;
      if (item !== undefined && hit !== undefined) {
        const rank = picker.items.indexOf(item) + 1;
        picker.hide();
        if (typeof hit.search_id === 'number' && rank > 0) {
          const opened: OpenedParams = { searchId: hit.search_id, uri: hit.uri, rank };
          void client.sendNotification(OPENED, opened).catch(() => undefined);
        }
        void openHit(hit, this.matchDecoration).catch((error: unknown) => this.showError(error));
      }
    });
    picker.onDidHide(() => {
      controller.dispose();
      picker.dispose();
    });

    const initial = initialQuery();
    picker.show();
    if (initial !== undefined) {
      picker.value = initial; // fires onDidChangeValue
      controller.setQuery(initial);
    }
  }

  private async goToRelevantCode(): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    if (editor === undefined) {
      void vscode.window.showInformationMessage('CodeSift: open a file and place the cursor on a symbol first.');
      return;
    }
    const client = await this.ensureClient();
    const uri = editor.document.uri.toString();
    const selection = editor.selection;
    const range: WireRange = {
      start: { line: selection.start.line, character: selection.start.character },
      end: { line: selection.end.line, character: selection.end.character },
    };
    const result: unknown = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: 'CodeSift: finding relevant code' },
      () =>
        client.sendRequest(ExecuteCommandRequest.type, {
          command: RELEVANT_CODE,
          arguments: [uri, range],
        }),
    );
    await this.showRelevant([uri, range], result);
  }

  /** Shows `codesift.relevantCode`'s locations in a peek view at the invocation. */
  private async showRelevant(args: unknown[], result: unknown): Promise<void> {
    const origin = relevantOrigin(args);
    const locations = toLocations(result).map(
      (l) => new vscode.Location(vscode.Uri.parse(l.uri), toRange(l.range)),
    );
    const [first] = locations;
    if (first === undefined) {
      void vscode.window.showInformationMessage('CodeSift: no relevant code found.');
      return;
    }
    if (origin === undefined) {
      await vscode.commands.executeCommand('editor.action.showReferences', first.uri, first.range.start, locations);
      return;
    }
    await vscode.commands.executeCommand(
      'editor.action.peekLocations',
      vscode.Uri.parse(origin.uri),
      toPosition(origin.range.start),
      locations,
      'peek',
    );
  }

  private async reindex(): Promise<void> {
    const client = await this.ensureClient();
    await client.sendRequest(REINDEX, {});
    void vscode.window.showInformationMessage('CodeSift: reindexing the workspace.');
  }

  private async showStatus(): Promise<void> {
    this.statusChannel.clear();
    let status: Status | undefined;
    try {
      const client = await this.ensureClient();
      status = await client.sendRequest<Status>(STATUS, {});
      this.progress.setStatus(status);
      this.refreshStatusBar();
    } catch (error) {
      this.statusChannel.appendLine(`The language server is not available: ${errorMessage(error)}`);
    }
    if (status !== undefined) {
      this.statusChannel.appendLine(renderStatus(status));
    }
    if (this.command !== undefined) {
      this.statusChannel.appendLine('');
      this.statusChannel.appendLine(`server command: ${formatCommand(this.command)} (${this.command.source})`);
    }
    this.statusChannel.show(true);
  }

  // -- status bar ------------------------------------------------------------------------

  private refreshStatusBar(): void {
    const view = isEnabled()
      ? this.progress.view()
      : { text: '$(circle-slash) CodeSift: off', tooltip: 'CodeSift is turned off (codesift.enable).' };
    this.statusItem.text = view.text;
    this.statusItem.tooltip = view.tooltip;
  }

  /** Asks the server for its status; polls while a folder is still indexing without
   * progress notifications (for example right after start-up). */
  private async refreshStatus(): Promise<void> {
    const client = this.client;
    if (client === undefined || !client.isRunning()) {
      return;
    }
    try {
      const status = await client.sendRequest<Status>(STATUS, {});
      if (this.client !== client) {
        return; // a restart since: this status is the old server's
      }
      this.progress.setStatus(status);
      this.refreshStatusBar();
      if (this.progress.indexingPerStatus && !this.progress.indexing && this.pollTimer === undefined) {
        this.pollTimer = setTimeout(() => {
          this.pollTimer = undefined;
          void this.refreshStatus();
        }, STATUS_POLL_MS);
      }
    } catch (error) {
      this.log.warn(`codesift/status failed: ${errorMessage(error)}`);
    }
  }

  // -- messages ------------------------------------------------------------------------

  private showError(error: unknown): void {
    if (error instanceof vscode.CancellationError) {
      return;
    }
    const message = errorMessage(error);
    this.log.error(message);
    if (error instanceof CommandLineError) {
      void this.offerSettings(`CodeSift: ${message}`);
    } else {
      void vscode.window.showErrorMessage(`CodeSift: ${message}`);
    }
  }

  private async offerSettings(message: string): Promise<void> {
    const choice = await vscode.window.showErrorMessage(message, 'Open Settings', 'Show Log');
    if (choice === 'Open Settings') {
      await vscode.commands.executeCommand('workbench.action.openSettings', 'codesift.serverCommand');
    } else if (choice === 'Show Log') {
      this.log.show();
    }
  }
}

// -- helpers -----------------------------------------------------------------------------

/**
 * Keeps the items in the order given. VS Code re-sorts a QuickPick's items by where the
 * typed value matches their labels (microsoft/vscode#73904), which would undo the server's
 * ranking for identifier queries. `sortByLabel` is declared only in a proposed API, but its
 * setter works without the proposal; should a VS Code version refuse it, items may be
 * re-sorted there and nothing else breaks.
 */
function keepItemOrder(picker: vscode.QuickPick<vscode.QuickPickItem>): void {
  try {
    (picker as { sortByLabel?: boolean }).sortByLabel = false;
  } catch {
    // not supported: the default order applies
  }
}

/** Resolves once the client is no longer starting (or after `ms`). */
function settled(client: LanguageClient, ms: number): Promise<void> {
  if (client.state !== State.Starting) {
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    const listener = client.onDidChangeState((event) => {
      if (event.newState !== State.Starting) {
        done();
      }
    });
    function done(): void {
      clearTimeout(timer);
      listener.dispose();
      resolve();
    }
  });
}

/** `codesift.enable`: off means no server for this workspace. */
function isEnabled(): boolean {
  return vscode.workspace.getConfiguration(SECTION).get<boolean>('enable', true);
}

function hasFolders(): boolean {
  return (vscode.workspace.workspaceFolders?.length ?? 0) > 0;
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The selected interpreter from the Python extension, if it is installed. */
async function pythonFromExtension(): Promise<string[] | undefined> {
  const python = vscode.extensions.getExtension<PythonExtensionApi>('ms-python.python');
  if (python === undefined) {
    return undefined;
  }
  const resource = vscode.workspace.workspaceFolders?.[0]?.uri;
  const lookup = async (): Promise<string[] | undefined> => {
    const api = python.isActive ? python.exports : await python.activate();
    const environments = api?.environments;
    if (environments !== undefined) {
      const active = environments.getActiveEnvironmentPath(resource);
      const resolved = await environments.resolveEnvironment(active);
      const executable = resolved?.executable.uri?.fsPath;
      if (executable) {
        return [executable];
      }
    }
    const command = api?.settings?.getExecutionDetails(resource).execCommand;
    return command !== undefined && command.length > 0 ? command : undefined;
  };
  try {
    return await Promise.race([
      lookup(),
      new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), PYTHON_API_TIMEOUT_MS)),
    ]);
  } catch {
    return undefined;
  }
}

/** The single-line selection of the active editor, to start a search with. */
function initialQuery(): string | undefined {
  const editor = vscode.window.activeTextEditor;
  if (editor === undefined || editor.selection.isEmpty || !editor.selection.isSingleLine) {
    return undefined;
  }
  const text = editor.document.getText(editor.selection).trim();
  return text !== '' && text.length <= 200 ? text : undefined;
}

function toPosition(p: { line: number; character: number }): vscode.Position {
  return new vscode.Position(p.line, p.character);
}

function toRange(r: WireRange): vscode.Range {
  return new vscode.Range(toPosition(r.start), toPosition(r.end));
}

async function openHit(hit: SearchHit, matches?: vscode.TextEditorDecorationType): Promise<void> {
  const document = await vscode.workspace.openTextDocument(vscode.Uri.parse(hit.uri));
  const selection = document.validateRange(toRange(selectionFor(hit.range)));
  const editor = await vscode.window.showTextDocument(document, { selection, preview: true });
  if (matches !== undefined) {
    // the query's words in the result (the picker cannot highlight them itself)
    const lineText = (line: number): string | undefined =>
      line < document.lineCount ? document.lineAt(line).text : undefined;
    editor.setDecorations(
      matches,
      matchRanges(hit, lineText).map((r) => document.validateRange(toRange(r))),
    );
  }
}
