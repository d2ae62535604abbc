/**
 * What CLI commands touch outside themselves: output streams, environment, exit code, SIGINT and
 * fetch. Commands take it as a parameter so tests run them in-process; `processIo()` is the real one.
 */
import { describeError } from '../../errors.js';

/** The outside world of a command. */
export interface CommandIo {
  /** Writes to stdout (text carries its own newlines). */
  readonly out: (text: string) => void;
  /** Writes to stderr. */
  readonly err: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly setExitCode: (code: number) => void;
  /** True when stdout is a terminal: `--watch` then redraws the screen instead of appending. */
  readonly interactive: boolean;
  /** A signal aborted on SIGINT or SIGTERM; `dispose` removes the handlers. */
  readonly interrupt: () => { readonly signal: AbortSignal; dispose(): void };
  readonly fetch: typeof fetch;
}

/** The API address used when `--api` is not given. */
export const DEFAULT_API_URL = 'http://127.0.0.1:8080';

/** `$TRIBUTARY_API`, else DEFAULT_API_URL. */
export function defaultApiUrl(io: CommandIo): string {
  return io.env['TRIBUTARY_API'] || DEFAULT_API_URL;
}

function interruptOnSignals(): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onSignal = (): void => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

/** The process's stdout, stderr, environment and exit code. */
export function processIo(): CommandIo {
  return {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    env: process.env,
    setExitCode: (code) => {
      process.exitCode = code;
    },
    interactive: process.stdout.isTTY === true,
    interrupt: interruptOnSignals,
    fetch: (input, init) => fetch(input, init),
  };
}

/** Runs a command body: any error becomes one line on stderr and exit code 1. */
export async function runAction(io: CommandIo, action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (error) {
    io.err(`error: ${describeError(error)}\n`);
    io.setExitCode(1);
  }
}
