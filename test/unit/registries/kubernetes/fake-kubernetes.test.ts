/** The fake API server follows REGISTRIES.md "Kubernetes", checked with plain HTTP (no client library). */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { endpointSlice, FakeKubernetes, node, service } from '../../../fakes/kubernetes/index.js';

let fake: FakeKubernetes;
const AUTH = { authorization: 'Bearer t' };

/** What the tests read of a list reply or a Status. */
interface Body {
  metadata: Record<string, unknown> & { continue?: string };
  items: { metadata: { name: string } }[];
  code?: number;
  reason?: string;
  message?: string;
}

/** One watch line. */
interface Line {
  type: string;
  object: { kind?: string; code?: number; reason?: string; metadata: { resourceVersion: string } };
}

beforeEach(async () => {
  fake = await FakeKubernetes.start();
  fake.token = 't';
});

afterEach(async () => {
  await fake.close();
});

async function get(
  path: string,
  headers: Record<string, string> = AUTH,
): Promise<{ status: number; body: Body }> {
  const res = await fetch(`${fake.url}${path}`, { headers });
  return { status: res.status, body: (await res.json()) as Body };
}

/** Reads a watch stream until it ends or `count` lines arrived; aborts it then. */
async function watchLines(path: string, count: number): Promise<Line[]> {
  const controller = new AbortController();
  const res = await fetch(`${fake.url}${path}`, { headers: AUTH, signal: controller.signal });
  const lines: Line[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for await (const chunk of res.body!) {
      buffer += decoder.decode(chunk as Uint8Array, { stream: true });
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        lines.push(JSON.parse(buffer.slice(0, newline)) as Line);
        buffer = buffer.slice(newline + 1);
      }
      if (lines.length >= count) break;
    }
  } finally {
    controller.abort();
  }
  return lines;
}

describe('fake kubernetes API server', () => {
  it('lists with a resourceVersion and paginates with limit/continue from one snapshot', async () => {
    for (const name of ['a', 'b', 'c']) fake.put('services', service({ namespace: 'shop', name }));
    const first = await get('/api/v1/namespaces/shop/services?limit=2');
    expect(first.body.metadata).toMatchObject({
      resourceVersion: '103',
      continue: expect.any(String),
      remainingItemCount: 1,
    });
    fake.put('services', service({ namespace: 'shop', name: 'd' })); // not in the snapshot being paged
    const second = await get(
      `/api/v1/namespaces/shop/services?limit=2&continue=${first.body.metadata.continue}`,
    );
    expect([...first.body.items, ...second.body.items].map((i) => i.metadata.name)).toEqual(['a', 'b', 'c']);
    expect(second.body.metadata).toEqual({ resourceVersion: '103' });
    fake.expireContinues();
    expect((await get(`/api/v1/services?continue=${first.body.metadata.continue}`)).status).toBe(410);
  });

  it('replays changes after the resourceVersion asked for, sends bookmarks, and ends after timeoutSeconds', async () => {
    fake.put(
      'endpointslices',
      endpointSlice({ name: 'web-1', service: 'web', endpoints: [{ address: '10.0.0.1' }] }),
    );
    const rv = fake.resourceVersion;
    fake.put(
      'endpointslices',
      endpointSlice({ name: 'web-1', service: 'web', endpoints: [{ address: '10.0.0.2' }] }),
    );
    fake.remove('endpointslices', 'default', 'web-1');
    const opened = fake.waitFor('watch', () => true);
    const lines = watchLines(
      `/apis/discovery.k8s.io/v1/endpointslices?watch=1&resourceVersion=${rv}&allowWatchBookmarks=true&timeoutSeconds=1`,
      10,
    );
    await opened;
    fake.put('nodes', node('n1'));
    fake.bookmark();
    const got = await lines; // ends by itself after timeoutSeconds
    expect(got.map((l) => `${l.type} ${l.object.metadata.resourceVersion}`)).toEqual([
      `MODIFIED ${rv + 1}`,
      `DELETED ${rv + 2}`,
      `BOOKMARK ${rv + 3}`,
    ]);
    expect(fake.watches).toEqual([]);
  });

  it('answers an expired resourceVersion with an ERROR 410 event, or HTTP 410', async () => {
    fake.put('services', service({ name: 'a' }));
    fake.expire();
    const [error] = await watchLines('/api/v1/services?watch=true&resourceVersion=101', 1);
    expect(error).toMatchObject({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } });
    fake.expiryMode = 'http';
    expect((await get('/api/v1/services?watch=true&resourceVersion=101')).body).toMatchObject({
      code: 410,
      reason: 'Gone',
    });
  });

  it('refuses a missing token (401) and denied resources (403, naming the RBAC rule)', async () => {
    expect((await get('/api/v1/nodes', {})).status).toBe(401);
    fake.deny('endpointslices');
    const denied = await get('/apis/discovery.k8s.io/v1/namespaces/shop/endpointslices');
    expect(denied.status).toBe(403);
    expect(denied.body.message).toBe(
      'endpointslices.discovery.k8s.io is forbidden: User "system:serviceaccount:tributary:tributary" cannot list resource "endpointslices" in API group "discovery.k8s.io" in the namespace "shop"',
    );
  });
});
