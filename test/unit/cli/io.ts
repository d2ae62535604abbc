/** An in-memory CommandIo for command tests: captured output, a controllable interrupt. */
import { EventEmitter, once } from 'node:events';
import type { CommandIo } from '../../../src/cli/commands/io.js';

/** Captured output and controls. */
export interface TestIo {
  readonly io: CommandIo;
  readonly out: string[];
  readonly err: string[];
  exitCode: number | undefined;
  /** Aborts the signal the command got from `interrupt()` (SIGINT in real life). */
  interrupt(): void;
  /** Resolves once stdout has received `count` writes. */
  untilOutputs(count: number): Promise<void>;
}

/** Creates a TestIo with the given environment. */
export function createTestIo(env: Record<string, string> = {}): TestIo {
  const events = new EventEmitter();
  const controller = new AbortController();
  const state: TestIo = {
    out: [],
    err: [],
    exitCode: undefined,
    interrupt: () => controller.abort(),
    untilOutputs: async (count) => {
      while (state.out.length < count) await once(events, 'out');
    },
    io: {
      out: (text) => {
        state.out.push(text);
        events.emit('out');
      },
      err: (text) => state.err.push(text),
      env,
      setExitCode: (code) => {
        state.exitCode = code;
      },
      interactive: false,
      interrupt: () => ({ signal: controller.signal, dispose: () => undefined }),
      fetch: (input, init) => fetch(input, init),
    },
  };
  return state;
}
