/**
 * Proxy worker process: owns one Fleet and answers the driver's commands over IPC (forked with
 * `serialization: 'advanced'`, so typed arrays cross as copies). Exits when the driver disconnects.
 */
import { Fleet } from './fleet.js';
import type { WorkerCommand, WorkerReply, WorkerRequest } from './protocol.js';

let fleet: Fleet | undefined;

async function handle(command: WorkerCommand): Promise<unknown> {
  switch (command.cmd) {
    case 'init':
      fleet = new Fleet(command.init);
      return { pid: process.pid };
    case 'connect':
      return need().connect(command.concurrency, command.timeoutMs);
    case 'mark':
      return need().mark();
    case 'status':
      return need().status();
    case 'collect':
      return need().collect();
    case 'close':
      await fleet?.close();
      fleet = undefined;
      setTimeout(() => process.exit(0), 10).unref();
      return null;
  }
}

function need(): Fleet {
  if (fleet === undefined) throw new Error('fleet not initialised');
  return fleet;
}

process.on('message', (message: WorkerRequest) => {
  void handle(message.command).then(
    (result) => reply({ id: message.id, ok: true, result }),
    (error: unknown) =>
      reply({ id: message.id, ok: false, error: error instanceof Error ? error.stack : String(error) }),
  );
});

function reply(r: WorkerReply): void {
  if (process.connected) process.send?.(r, undefined, {}, () => undefined);
}

process.on('disconnect', () => {
  void (fleet?.close() ?? Promise.resolve()).finally(() => process.exit(0));
});
