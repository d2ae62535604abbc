/**
 * Floor server process (PERFORMANCE.md §3, measured again in every bench run): started pinned to the
 * daemon's core, it serves one of
 *  - `tcp`:  raw TCP sockets; a round writes the same buffer to the first k sockets;
 *  - `grpc`: @grpc/grpc-js bidi streams with a passthrough serializer; a round writes the same
 *            pre-serialised buffer to the first k streams (grpc-js adds only its 5-byte frame);
 *  - `http`: node:http serving cached bodies (`/small`, `/big`) for the REST load generator.
 * Commands arrive over IPC; CPU is process.cpuUsage() (µs).
 */
import * as grpc from '@grpc/grpc-js';
import http from 'node:http';
import net from 'node:net';
import { nowMs } from '../proxy/protocol.js';
import { FLOOR_GRPC_PATH, type FloorKind, type FloorServerCommand } from './protocol.js';
import { serveIpc } from '../lib/child.js';

const sockets: net.Socket[] = [];
const calls: grpc.ServerDuplexStream<Buffer, Buffer>[] = [];
let closeServer: (() => Promise<void>) | undefined;
const buffers = new Map<number, Buffer>();

function payload(size: number): Buffer {
  let b = buffers.get(size);
  if (b === undefined) {
    b = Buffer.alloc(size, 0x61);
    buffers.set(size, b);
  }
  return b;
}

async function start(kind: FloorKind, bodies: Record<string, number>): Promise<number> {
  if (kind === 'tcp') {
    const server = net.createServer((socket) => {
      socket.setNoDelay(true);
      sockets.push(socket);
      socket.on('error', () => undefined);
      socket.resume();
    });
    closeServer = () => closeNet(server, () => sockets.forEach((s) => s.destroy()));
    return listen(server);
  }
  if (kind === 'http') {
    const cached = new Map(
      Object.entries(bodies).map(([path, size]) => [`/${path}`, Buffer.alloc(size, 0x61)]),
    );
    const server = http.createServer((req, res) => {
      const body = cached.get(req.url ?? '');
      if (body === undefined) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
      res.end(body);
    });
    server.keepAliveTimeout = 60_000;
    closeServer = () => closeNet(server, () => server.closeAllConnections());
    return listen(server);
  }
  const passthrough = (b: Buffer): Buffer => b;
  const server = new grpc.Server();
  server.addService(
    {
      Stream: {
        path: FLOOR_GRPC_PATH,
        requestStream: true,
        responseStream: true,
        requestSerialize: passthrough,
        requestDeserialize: passthrough,
        responseSerialize: passthrough,
        responseDeserialize: passthrough,
      },
    },
    {
      Stream: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
        calls.push(call);
        call.on('data', () => undefined);
        call.on('error', () => undefined);
        call.on('end', () => call.end());
      },
    },
  );
  closeServer = () =>
    new Promise((resolve) => {
      server.tryShutdown(() => resolve());
      setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, 2000).unref();
    });
  return new Promise((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, port) =>
      error ? reject(error) : resolve(port),
    ),
  );
}

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve) => {
    server.listen({ host: '127.0.0.1', port: 0, backlog: 8192 }, () => {
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}

function closeNet(server: net.Server, destroyAll: () => void): Promise<void> {
  return new Promise((resolve) => {
    destroyAll();
    server.close(() => resolve());
    setTimeout(resolve, 2000).unref();
  });
}

let cpuAtRound = process.cpuUsage();

async function handle(command: FloorServerCommand): Promise<unknown> {
  switch (command.cmd) {
    case 'start':
      return { port: await start(command.kind, command.bodies ?? {}) };
    case 'count':
      return sockets.length + calls.length;
    case 'round': {
      const buf = payload(command.size);
      cpuAtRound = process.cpuUsage();
      const t0 = nowMs();
      if (sockets.length > 0) for (let i = 0; i < command.k; i++) sockets[i]!.write(buf);
      else for (let i = 0; i < command.k; i++) calls[i]!.write(buf);
      return { t0, loopMs: nowMs() - t0 };
    }
    case 'cpu': {
      const d = process.cpuUsage(cpuAtRound);
      return d.user + d.system;
    }
    case 'rss':
      return process.memoryUsage().rss;
    case 'stop':
      await closeServer?.();
      setTimeout(() => process.exit(0), 10).unref();
      return null;
  }
}

serveIpc<FloorServerCommand>(handle);
