import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import { CatalogStore } from '../../../src/catalog/store.js';
import { MIGRATIONS } from '../../../src/catalog/migrations.js';
import { TributaryError } from '../../../src/errors.js';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tributary-store-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function openError(path: string): unknown {
  try {
    CatalogStore.open(path).close();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('CatalogStore', () => {
  it('creates the data directory and commits a revision that load() reads back', () => {
    const path = join(dir, 'nested', 'data', 'tributary.db');
    const store = CatalogStore.open(path);
    const { epoch } = store.load();
    const change = {
      epoch,
      revision: 1,
      services: [{ namespace: 'default', name: 'a', op: 'upsert' as const }],
      sources: [],
    };
    store.commit({
      revision: 1,
      upserts: [
        { sourceId: 'file/vms', namespace: 'default', name: 'a', body: '{"namespace":"default","name":"a"}' },
      ],
      deletes: [],
      sources: [{ sourceId: 'file/vms', kind: 'file', state: 'synced', lastSync: 'now', lastError: null }],
      deletedSources: [],
      services: [{ namespace: 'default', name: 'a', revision: 1 }],
      change,
      keepChanges: 10,
    });
    store.close();
    const reopened = CatalogStore.open(path);
    const loaded = reopened.load();
    reopened.close();
    expect(loaded).toEqual({
      epoch,
      revision: 1,
      records: [{ sourceId: 'file/vms', body: '{"namespace":"default","name":"a"}' }],
      sources: [{ sourceId: 'file/vms', kind: 'file', state: 'synced', lastSync: 'now', lastError: null }],
      serviceRevisions: new Map([['default/a', 1]]),
      changes: [change],
    });
  });

  it('names the data directory when the database cannot be opened', () => {
    const file = join(dir, 'not-a-dir');
    writeFileSync(file, 'x');
    const error = openError(join(file, 'tributary.db'));
    expect(error).toBeInstanceOf(TributaryError);
    expect(error).toMatchObject({ code: 'TRB_CATALOG_STORE', field: 'dataDir' });
  });

  it('refuses a database written by a newer build', () => {
    const path = join(dir, 'tributary.db');
    const db = new Database(path);
    db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    db.close();
    const error = openError(path);
    expect(error).toMatchObject({ code: 'TRB_CATALOG_STORE' });
    expect((error as Error).message).toMatch(/newer than this build supports/);
  });
});
