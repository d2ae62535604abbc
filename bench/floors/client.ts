/**
 * Floor client process (the generator side of the floors, on the generator's core): N raw TCP sockets,
 * or N gRPC streams over raw `node:http2` (the same client stack as the simulated proxies, same
 * streams-per-connection mode). A round is armed first (`arm`), then the server writes; `wait` answers
 * with the monotonic time the last of the k receivers had its bytes.
 */
import http2 from 'node:http2';
import net from 'node:net';
import { nowMs } from '../proxy/protocol.js';
import { frame } from '../proxy/wire.js';
import { FLOOR_GRPC_PATH, type FloorClientCommand } from './protocol.js';
import { serveIpc } from '../lib/child.js';

let got = new Float64Array(0);
let want = new Float64Array(0);
let remaining = 0;
let lastAt = -1;
let waiter: ((t: number) => void) | undefined;
const sockets: net.Socket[] = [];
const sessions: http2.ClientHttp2Session[] = [];
let closing = false;

function received(i: number, length: number): void {
  const before = got[i]!;
  const after = before + length;
  got[i] = after;
  if (before < want[i]! && after >= want[i]!) {
    remaining -= 1;
    if (remaining === 0) {
      lastAt = nowMs();
      waiter?.(lastAt);
      waiter = undefined;
    }
  }
}

async function connectTcp(port: number, n: number): Promise<void> {
  const batch = 200;
  for (let start = 0; start < n; start += batch) {
    await Promise.all(
      Array.from(
        { length: Math.min(batch, n - start) },
        (_, j) =>
          new Promise<void>((resolve, reject) => {
            const i = start + j;
            const socket = net.connect({ host: '127.0.0.1', port }, () => resolve());
            socket.on('data', (chunk: Buffer) => received(i, chunk.length));
            socket.on('error', (error) => (closing ? undefined : reject(error)));
            sockets.push(socket);
          }),
      ),
    );
  }
}

async function connectGrpc(port: number, n: number, perConn: number): Promise<void> {
  const hello = frame(Buffer.alloc(0));
  const connections = Math.ceil(n / perConn);
  const batch = 100;
  for (let start = 0; start < connections; start += batch) {
    await Promise.all(
      Array.from(
        { length: Math.min(batch, connections - start) },
        (_, j) =>
          new Promise<void>((resolve, reject) => {
            const c = start + j;
            const session = http2.connect(`http://127.0.0.1:${port}`, {
              settings: { initialWindowSize: 4 * 1024 * 1024, enablePush: false },
              maxSessionMemory: 256,
            });
            sessions.push(session);
            session.on('error', (error) => (closing ? undefined : reject(error)));
            session.once('connect', () => {
              try {
                session.setLocalWindowSize(32 * 1024 * 1024);
              } catch {
                // default window
              }
              for (let s = 0; s < perConn && c * perConn + s < n; s++) {
                const i = c * perConn + s;
                const stream = session.request(
                  {
                    ':method': 'POST',
                    ':path': FLOOR_GRPC_PATH,
                    'content-type': 'application/grpc',
                    te: 'trailers',
                  },
                  { endStream: false },
                );
                stream.on('data', (chunk: Buffer) => received(i, chunk.length));
                stream.on('error', () => undefined);
                stream.write(hello);
              }
              resolve();
            });
          }),
      ),
    );
  }
}

async function handle(command: FloorClientCommand): Promise<unknown> {
  switch (command.cmd) {
    case 'connect':
      got = new Float64Array(command.n);
      want = new Float64Array(command.n);
      if (command.kind === 'tcp') await connectTcp(command.port, command.n);
      else await connectGrpc(command.port, command.n, command.streamsPerConnection);
      return command.n;
    case 'arm': {
      remaining = 0;
      lastAt = -1;
      for (let i = 0; i < command.k; i++) {
        want[i] = want[i]! + command.bytes;
        if (got[i]! < want[i]!) remaining += 1;
      }
      return remaining;
    }
    case 'wait':
      if (remaining === 0) return lastAt;
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          waiter = undefined;
          resolve(-1);
        }, command.timeoutMs);
        waiter = (t) => {
          clearTimeout(timer);
          resolve(t);
        };
      });
    case 'cpu': {
      const u = process.cpuUsage();
      return u.user + u.system;
    }
    case 'close':
      closing = true;
      for (const s of sockets) s.destroy();
      for (const s of sessions) s.destroy();
      setTimeout(() => process.exit(0), 10).unref();
      return null;
  }
}

serveIpc<FloorClientCommand>(handle);
