/**
 * Federation across clouds, each cloud its own daemon on loopback: a real gRPC xDS client
 * (@grpc/grpc-js-xds) attached to cloud B reaches services that exist only in cloud A, is served
 * locally when B has the service, and fails over to A when B's endpoints turn unhealthy; peers go
 * down and come back; a ring of three stays loop-free; the export policy and the peer tokens refuse
 * what they should, over SSE and over the gRPC catalog watch API.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as grpc from '@grpc/grpc-js';
import { decodeWatchEvent, encodeWatchRequest } from '../../src/federation/codec.js';
import { startBackend, type Backend } from './support/backends.js';
import { XdsClientProcess, bootstrapFor, type RpcResult } from './support/clients.js';
import { Cloud, peerSecret } from './support/cloud.js';

const servedBy = (r: RpcResult): string => (r.ok ? r.reply : `error ${r.code}`);
const target = (name: string): string => `xds:///${name}.test:50051`;
const ENTRY = join(import.meta.dirname ?? '', '..', '..', 'dist', 'src', 'cli', 'index.js');

describe('two clouds', () => {
  let a: Cloud;
  let b: Cloud;
  let b1: Backend;
  let b2: Backend;
  let b3: Backend;
  let client: XdsClientProcess;

  beforeAll(async () => {
    [b1, b2, b3] = await Promise.all([
      startBackend('a-only'),
      startBackend('b-local'),
      startBackend('a-both'),
    ]);
    a = await Cloud.create('cloud-a');
    b = await Cloud.create('cloud-b');
    a.declare('only-a', [{ backend: b1 }]);
    a.declare('both', [{ backend: b3 }]);
    a.declare('vault', [{ backend: b1 }], 'secret');
    b.declare('both', [{ backend: b2 }]);
    await a.start({ exports: [{ peer: 'cloud-b', namespaces: ['test'] }] });
    await b.start({
      imports: [
        { from: a },
        { from: a, name: 'asks-secret', extra: '    namespaces: [secret]\n' },
        { from: a, name: 'bad-token', token: 'not-the-secret' },
      ],
    });
    client = new XdsClientProcess('grpc-js', bootstrapFor(b.xdsPort, { nodeId: 'federation-client' }));
  });

  afterAll(async () => {
    await client?.stop();
    await Promise.all([a?.close(), b?.close()]);
    await Promise.all([b1?.stop(), b2?.stop(), b3?.stop()]);
  });

  it('reaches a service that exists only in the other cloud', async () => {
    const reply = await client.callUntil(target('only-a'), (r) => r.ok);
    expect(servedBy(reply)).toBe('backend:a-only');
    await b.until('test', 'only-a', (s) => s?.sources.join() === 'peer/cloud-a');
  });

  it('serves a service in both clouds locally and fails over when local endpoints turn unhealthy', async () => {
    await b.until('test', 'both', (s) => s?.endpoints.length === 2);
    for (let i = 0; i < 5; i++) expect(servedBy(await client.call(target('both')))).toBe('backend:b-local');
    b.declare('both', [{ backend: b2, health: 'unhealthy' }]);
    await client.callUntil(target('both'), (r) => servedBy(r) === 'backend:a-both');
    b.declare('both', [{ backend: b2 }]);
    await client.callUntil(target('both'), (r) => servedBy(r) === 'backend:b-local');
  });

  it('imports only what the export policy allows and shows why a peer is refused', async () => {
    const { status } = await fetch(`${b.url}/v1/services/secret/vault`);
    expect(status).toBe(404);
    const denied = await b.untilSource('peer/asks-secret', (s) => s.lastError !== null);
    expect(denied.lastError).toContain('may not import namespace "secret"');
    const bad = await b.untilSource('peer/bad-token', (s) => s.lastError !== null);
    expect(bad.lastError).toContain('the bearer token is not valid');
    const anonymous = await fetch(`${a.url}/v1/catalog/watch`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ error: { code: 'TRB_API_UNAUTHORIZED' } });
  });

  it('serves the same feed over the gRPC catalog watch API, and refuses bad tokens there', async () => {
    const channel = new grpc.Client(`127.0.0.1:${a.xdsPort}`, grpc.credentials.createInsecure());
    const watch = (secret: string | undefined) =>
      new Promise<{ first?: Record<string, unknown>; error?: grpc.ServiceError }>((resolve) => {
        const metadata = new grpc.Metadata();
        if (secret !== undefined) metadata.set('authorization', `Bearer ${secret}`);
        const call = channel.makeServerStreamRequest(
          '/tributary.catalog.v1.CatalogWatch/Watch',
          (r: Buffer) => r,
          (bytes: Buffer) => decodeWatchEvent(bytes),
          encodeWatchRequest({ epoch: '', revision: 0, filter: { namespaces: [], services: [] } }),
          metadata,
        );
        call.on('data', (first: Record<string, unknown>) => {
          resolve({ first });
          call.cancel();
        });
        call.on('error', (error: grpc.ServiceError) => resolve({ error }));
      });
    try {
      expect((await watch(undefined)).error?.code).toBe(grpc.status.UNAUTHENTICATED);
      expect((await watch('wrong')).error?.code).toBe(grpc.status.UNAUTHENTICATED);
      const { first } = await watch(peerSecret('cloud-b', 'cloud-a'));
      const services = (first?.snapshot as { services: { name: string }[] }).services.map((s) => s.name);
      expect(services.sort()).toEqual(['both', 'only-a']);
    } finally {
      channel.close();
    }
  });

  it('keeps the peer endpoints (stale) while the peer is down and resyncs when it is back', async () => {
    await a.stop();
    const down = await b.untilSource('peer/cloud-a', (s) => s.stale && s.state !== 'synced');
    expect(down.lastError).toContain('cloud-a');
    expect(servedBy(await client.callUntil(target('only-a'), (r) => r.ok))).toBe('backend:a-only');
    await a.start({ exports: [{ peer: 'cloud-b', namespaces: ['test'] }] });
    await b.untilSource('peer/cloud-a', (s) => s.state === 'synced' && !s.stale);
    a.declare('new-in-a', [{ backend: b1 }]);
    await client.callUntil(target('new-in-a'), (r) => servedBy(r) === 'backend:a-only');
  });

  it('shows each peer in `tributary peers`', async () => {
    const out = spawnSync(process.execPath, [ENTRY, 'peers', '--api', b.url], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(out.status).toBe(0);
    expect(out.stdout).toMatch(/cloud-a\s+peer\/cloud-a\s+synced\s+yes/);
    const exported = spawnSync(process.execPath, [ENTRY, 'peers', '--api', a.url], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(exported.stdout).toMatch(/cloud-b\s+1\s+\d+/);
  });
});

describe('a ring of three clouds exporting everything', () => {
  const clouds: Cloud[] = [];
  let backend: Backend;

  beforeAll(async () => {
    backend = await startBackend('ring');
    for (const name of ['ring-a', 'ring-b', 'ring-c']) clouds.push(await Cloud.create(name));
    const [a, b, c] = clouds as [Cloud, Cloud, Cloud];
    a.declare('svc-a', [{ backend }]);
    b.declare('svc-b', [{ backend }]);
    c.declare('svc-c', [{ backend }]);
    // b imports a, c imports b, a imports c.
    await a.start({ exports: [{ peer: 'ring-b', namespaces: ['*'] }], imports: [{ from: c }] });
    await b.start({ exports: [{ peer: 'ring-c', namespaces: ['*'] }], imports: [{ from: a }] });
    await c.start({ exports: [{ peer: 'ring-a', namespaces: ['*'] }], imports: [{ from: b }] });
  });

  afterAll(async () => {
    for (const cloud of clouds) await cloud.close();
    await backend?.stop();
  });

  it('imports each neighbour’s own services and never passes an import on', async () => {
    const [a, b, c] = clouds as [Cloud, Cloud, Cloud];
    await b.until('test', 'svc-a', (s) => s?.sources.join() === 'peer/ring-a');
    await c.until('test', 'svc-b', (s) => s?.sources.join() === 'peer/ring-b');
    await a.until('test', 'svc-c', (s) => s?.sources.join() === 'peer/ring-c');
    // A marker added at b after svc-a reached b: once c has it, anything b re-exported would be there too.
    b.declare('marker', [{ backend }]);
    await c.until('test', 'marker', (s) => s !== undefined);
    c.declare('marker-c', [{ backend }]);
    await a.until('test', 'marker-c', (s) => s !== undefined);
    await c.until('test', 'svc-a', (s) => s === undefined, 1000);
    await a.until('test', 'svc-b', (s) => s === undefined, 1000);
    await a.until('test', 'svc-a', (s) => s?.sources.join() === 'file/vms', 1000);
  });
});
