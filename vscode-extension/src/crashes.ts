/**
 * What happens after the language server dies unexpectedly.
 *
 * vscode-languageclient restarts a crashed server by itself, inside the same client; the
 * extension also replaces clients (Restart Server, a settings change), and when the two
 * met, the library's restarted client still held the server's commands while the new
 * client registered them: "command 'codesift.relevantCode' already exists", and no server
 * came back. So the library is told never to restart (`CloseAction.DoNotRestart`) and the
 * extension restarts through its own start and stop, with the library's default limit:
 * at most four restarts within three minutes.
 */

export const CRASH_WINDOW_MS = 3 * 60 * 1000;
export const MAX_CRASH_RESTARTS = 4;
/** Long enough for the status bar to show the crash before the server is back. */
export const CRASH_RESTART_DELAY_MS = 1_500;

export class CrashRestarts {
  private times: number[] = [];

  /** Records a crash at `now` (ms); whether the server may be started again. */
  record(now: number): boolean {
    this.times = this.times.filter((time) => now - time < CRASH_WINDOW_MS);
    this.times.push(now);
    return this.times.length <= MAX_CRASH_RESTARTS;
  }

  /** Crashes within the window, the last one included. */
  get recent(): number {
    return this.times.length;
  }
}
