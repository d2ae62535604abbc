import { describe, expect, it } from '@jest/globals';
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { startHarness } from './harness.js';

/** Opens a raw TCP connection to the harness and resolves once connected. */
async function openSocket(url: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  const socket = connect({ host: hostname, port: Number(port) });
  await once(socket, 'connect');
  return socket;
}

/** Sends one keep-alive GET on `socket` and resolves with the raw response head once it arrived. */
function getOver(socket: Socket, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (chunk: Buffer): void => {
      text += chunk.toString('utf8');
      if (text.includes('\r\n\r\n') && text.endsWith('}')) {
        socket.off('data', onData);
        socket.off('error', reject);
        resolve(text);
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n`);
  });
}

describe('API server close', () => {
  it('closes connections that never sent a request and idle keep-alive connections', async () => {
    const harness = await startHarness();
    const fresh = await openSocket(harness.url);
    const served = await openSocket(harness.url);
    const freshClosed = once(fresh, 'close');
    const servedClosed = once(served, 'close');
    const head = await getOver(served, '/healthz');
    expect(head).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(head.toLowerCase()).toContain('connection: keep-alive');

    // Would wait for the clients to give up if either connection were left open.
    await harness.close();
    await Promise.all([freshClosed, servedClosed]);
    expect(fresh.destroyed).toBe(true);
    expect(served.destroyed).toBe(true);
  });
});
