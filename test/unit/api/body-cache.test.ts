import { describe, expect, it } from '@jest/globals';
import { BodyCache } from '../../../src/api/body-cache.js';
import type { CatalogView } from '../../../src/catalog/view.js';

function aView(version: string): CatalogView {
  return { epoch: 'e', revision: 0, version, services: new Map(), sources: new Map() };
}

describe('BodyCache', () => {
  it('builds a body once per key and version', () => {
    const cache = new BodyCache();
    const view = aView('e-1');
    let builds = 0;
    const build = () => ({ n: ++builds });
    expect(cache.get(view, 'a', build)).toBe('{"n":1}');
    expect(cache.get(view, 'a', build)).toBe('{"n":1}');
    expect(cache.get(view, 'b', build)).toBe('{"n":2}');
    expect(cache.stats()).toEqual({ version: 'e-1', entries: 2, hits: 1, misses: 2 });
  });

  it('drops every body when a new version is seen', () => {
    const cache = new BodyCache();
    cache.get(aView('e-1'), 'a', () => 1);
    cache.get(aView('e-1'), 'b', () => 2);
    expect(cache.get(aView('e-2'), 'a', () => 3)).toBe('3');
    expect(cache.stats()).toMatchObject({ version: 'e-2', entries: 1 });
  });

  it('keeps a body built from one object across versions, and builds a new object its own', () => {
    const cache = new BodyCache();
    const first = { name: 'payments' };
    let builds = 0;
    const build = (source: { name: string }) => () => ({ ...source, n: ++builds });
    cache.get(aView('e-1'), 'a', () => 1);
    const body = cache.getFor(first, build(first));
    expect(body.toString('utf8')).toBe('{"name":"payments","n":1}');
    cache.get(aView('e-2'), 'a', () => 2);
    expect(cache.getFor(first, build(first))).toBe(body);
    const second = { name: 'payments' };
    expect(cache.getFor(second, build(second)).toString('utf8')).toBe('{"name":"payments","n":2}');
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 4 });
  });

  it('keeps a per-object body as UTF-8 bytes', () => {
    const cache = new BodyCache();
    const body = cache.getFor({}, () => ({ name: 'zürich-☃' }));
    expect(body.toString('utf8')).toBe('{"name":"zürich-☃"}');
    expect(body.length).toBe(Buffer.byteLength('{"name":"zürich-☃"}'));
  });

  it('stays within its bound by evicting the oldest body', () => {
    const cache = new BodyCache(2);
    const view = aView('e-1');
    cache.get(view, 'a', () => 'a');
    cache.get(view, 'b', () => 'b');
    cache.get(view, 'c', () => 'c');
    expect(cache.stats().entries).toBe(2);
    expect(cache.get(view, 'a', () => 'rebuilt')).toBe('"rebuilt"');
    expect(cache.get(view, 'c', () => 'rebuilt')).toBe('"c"');
  });
});
