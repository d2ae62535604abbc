/**
 * A bench child process (proxy worker, floor server, floor client) driven by request/reply over IPC
 * with advanced serialization. Started pinned to `core` through taskset when given (the daemon's core
 * for floor servers); otherwise it inherits the driver's affinity (the generator's core).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { pinned, sleep, track } from './proc.js';

const DIST_BENCH = join(import.meta.dirname, '..');

interface Reply {
  readonly id: number;
  readonly ok: boolean;
  readonly result?: unknown;
  readonly error?: string;
}

export class IpcChild<Command> {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly exited: Promise<void>;

  private constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    child.on('message', (message: Reply) => {
      const p = this.pending.get(message.id);
      if (p === undefined) return;
      this.pending.delete(message.id);
      if (message.ok) p.resolve(message.result);
      else p.reject(new Error(`${name}: ${message.error}`));
    });
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        for (const p of this.pending.values()) p.reject(new Error(`${name} exited (${code ?? signal})`));
        this.pending.clear();
        resolve();
      }),
    );
  }

  /** Starts `dist/bench/<script>` (pinned to `core` when given). */
  static start<C>(name: string, script: string, core?: number, nodeArgs: string[] = []): IpcChild<C> {
    const [command, args] = pinned(core, process.execPath, [...nodeArgs, join(DIST_BENCH, script)]);
    const child = track(
      spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' }),
    );
    return new IpcChild<C>(name, child);
  }

  get pid(): number {
    return this.child.pid!;
  }

  request<T>(command: Command, timeoutMs = 120_000): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(
          new Error(
            `${this.name}: no reply to ${JSON.stringify(command).slice(0, 80)} within ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      if (!this.child.connected) {
        this.pending.delete(id);
        clearTimeout(timer);
        reject(new Error(`${this.name}: not connected`));
        return;
      }
      this.child.send({ id, command });
    });
  }

  /** Sends `closeCommand` (bounded), then disconnects, then SIGKILLs if still alive. Never throws. */
  async close(closeCommand?: Command): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    if (closeCommand !== undefined) await this.request(closeCommand, 10_000).catch(() => undefined);
    if (this.child.connected) this.child.disconnect();
    await Promise.race([this.exited, sleep(3000)]);
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGKILL');
      await Promise.race([this.exited, sleep(1000)]);
    }
  }
}

/**
 * The child side of IpcChild: answers each `{ id, command }` message with `handle`'s result (or its
 * error), and exits when the driver goes away. Replies are dropped once the channel is closed, so a
 * gone driver never crashes the child with EPIPE.
 */
export function serveIpc<Command>(handle: (command: Command) => Promise<unknown>): void {
  const send = (reply: Reply): void => {
    if (process.connected) process.send?.(reply, undefined, {}, () => undefined);
  };
  process.on('message', (message: { id: number; command: Command }) => {
    void handle(message.command).then(
      (result) => send({ id: message.id, ok: true, result }),
      (error: unknown) => send({ id: message.id, ok: false, error: String(error) }),
    );
  });
  process.on('disconnect', () => process.exit(0));
}
