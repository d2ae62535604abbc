/**
 * The durable side of the catalog: one SQLite file in WAL mode. Only this file imports
 * better-sqlite3. It is written once per batch (one transaction) and read only at start.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { TributaryError } from '../errors.js';
import { MIGRATIONS } from './migrations.js';
import type { CatalogChange } from './view.js';

/** A stored record row as loaded at start. */
export interface StoredRecord {
  readonly sourceId: string;
  readonly body: string;
}

/** A stored source row. */
export interface StoredSource {
  readonly sourceId: string;
  readonly kind: string;
  readonly state: string;
  readonly lastSync: string | null;
  readonly lastError: string | null;
}

/** Everything needed to rebuild the in-memory catalog but the records. */
export interface StoredHead {
  readonly epoch: string;
  readonly revision: number;
  readonly sources: readonly StoredSource[];
  readonly serviceRevisions: ReadonlyMap<string, number>;
  readonly changes: readonly CatalogChange[];
}

/** Everything needed to rebuild the in-memory catalog. */
export interface StoredCatalog extends StoredHead {
  readonly records: readonly StoredRecord[];
}

/** One batch's writes, committed atomically with its revision. */
export interface StoreCommit {
  readonly revision: number;
  readonly upserts: readonly { sourceId: string; namespace: string; name: string; body: string }[];
  readonly deletes: readonly { sourceId: string; namespace: string; name: string }[];
  readonly sources: readonly StoredSource[];
  readonly deletedSources: readonly string[];
  readonly services: readonly { namespace: string; name: string; revision: number | null }[];
  readonly change: CatalogChange;
  /** How many change-log entries to keep. */
  readonly keepChanges: number;
}

type Statement = Database.Statement;

/** The SQLite store. Synchronous by design: better-sqlite3 commits in a few hundred microseconds. */
export class CatalogStore {
  private readonly db: Database.Database;
  private readonly statements: Record<string, Statement>;
  private readonly commitTx: (commit: StoreCommit) => void;

  private constructor(db: Database.Database) {
    this.db = db;
    const prepare = (sql: string): Statement => db.prepare(sql);
    this.statements = {
      upsert: prepare(
        `INSERT INTO records (source_id, namespace, name, body, revision) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (source_id, namespace, name) DO UPDATE SET body = excluded.body, revision = excluded.revision`,
      ),
      delete: prepare('DELETE FROM records WHERE source_id = ? AND namespace = ? AND name = ?'),
      deleteSourceRecords: prepare('DELETE FROM records WHERE source_id = ?'),
      deleteSource: prepare('DELETE FROM sources WHERE source_id = ?'),
      source: prepare(
        `INSERT INTO sources (source_id, kind, state, last_sync, last_error) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (source_id) DO UPDATE SET kind = excluded.kind, state = excluded.state,
         last_sync = excluded.last_sync, last_error = excluded.last_error`,
      ),
      service: prepare(
        `INSERT INTO services (namespace, name, revision) VALUES (?, ?, ?)
         ON CONFLICT (namespace, name) DO UPDATE SET revision = excluded.revision`,
      ),
      deleteService: prepare('DELETE FROM services WHERE namespace = ? AND name = ?'),
      change: prepare('INSERT INTO changes (revision, body) VALUES (?, ?)'),
      pruneChanges: prepare('DELETE FROM changes WHERE revision <= ?'),
      setMeta: prepare(
        'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      ),
    };
    this.commitTx = db.transaction((commit: StoreCommit) => this.write(commit));
  }

  /** Opens (creating if needed) the database at `path` and runs pending migrations. */
  static open(path: string): CatalogStore {
    try {
      if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
      const db = new Database(path);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('busy_timeout = 5000');
      migrate(db);
      return new CatalogStore(db);
    } catch (error) {
      if (error instanceof TributaryError) throw error;
      throw new TributaryError(
        'TRB_CATALOG_STORE',
        `cannot open catalog database ${path}: ${String(error)}`,
        {
          field: 'dataDir',
          cause: error,
        },
      );
    }
  }

  /** Reads the whole stored catalog. */
  load(): StoredCatalog {
    const head = this.loadHead();
    return { ...head, records: [...this.records()] };
  }

  /** Reads everything but the records (raw rows; creates the epoch of a new database). */
  loadHead(): StoredHead {
    const meta = new Map(this.db.prepare('SELECT key, value FROM meta').raw().all() as [string, string][]);
    let epoch = meta.get('epoch');
    if (epoch === undefined) {
      epoch = randomBytes(4).toString('hex');
      this.statements.setMeta!.run('epoch', epoch);
    }
    const sources = (
      this.db.prepare('SELECT source_id, kind, state, last_sync, last_error FROM sources').raw().all() as [
        string,
        string,
        string,
        string | null,
        string | null,
      ][]
    ).map(([sourceId, kind, state, lastSync, lastError]) => ({ sourceId, kind, state, lastSync, lastError }));
    const serviceRevisions = new Map(
      (
        this.db.prepare('SELECT namespace, name, revision FROM services').raw().all() as [
          string,
          string,
          number,
        ][]
      ).map(([namespace, name, revision]) => [`${namespace}/${name}`, revision] as const),
    );
    const changes = (
      this.db.prepare('SELECT body FROM changes ORDER BY revision').raw().all() as [string][]
    ).map(([body]) => JSON.parse(body) as CatalogChange);
    return { epoch, revision: Number(meta.get('revision') ?? 0), sources, serviceRevisions, changes };
  }

  /**
   * Every stored record, one raw row at a time: the cold-start hot path, where a body read, parsed
   * and dropped before the next one is cheaper than holding every body at once. The connection is
   * busy until the iteration ends.
   */
  *records(): Generator<StoredRecord, undefined, undefined> {
    const rows = this.db.prepare('SELECT source_id, body FROM records').raw().iterate() as IterableIterator<
      [string, string]
    >;
    for (const [sourceId, body] of rows) yield { sourceId, body };
    return undefined;
  }

  /** Commits one batch atomically. */
  commit(commit: StoreCommit): void {
    try {
      this.commitTx(commit);
    } catch (error) {
      throw new TributaryError(
        'TRB_CATALOG_STORE',
        `commit of revision ${commit.revision} failed: ${String(error)}`,
        {
          cause: error,
        },
      );
    }
  }

  private write(c: StoreCommit): void {
    const s = this.statements;
    for (const id of c.deletedSources) {
      s.deleteSourceRecords!.run(id);
      s.deleteSource!.run(id);
    }
    for (const d of c.deletes) s.delete!.run(d.sourceId, d.namespace, d.name);
    for (const u of c.upserts) s.upsert!.run(u.sourceId, u.namespace, u.name, u.body, c.revision);
    for (const src of c.sources)
      s.source!.run(src.sourceId, src.kind, src.state, src.lastSync, src.lastError);
    for (const svc of c.services) {
      if (svc.revision === null) s.deleteService!.run(svc.namespace, svc.name);
      else s.service!.run(svc.namespace, svc.name, svc.revision);
    }
    s.change!.run(c.revision, JSON.stringify(c.change));
    s.pruneChanges!.run(c.revision - c.keepChanges);
    s.setMeta!.run('revision', String(c.revision));
  }

  /** Checkpoints the WAL and closes the file. */
  close(): void {
    if (!this.db.open) return;
    this.db.pragma('wal_checkpoint(TRUNCATE)');
    this.db.close();
  }
}

function migrate(db: Database.Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new TributaryError(
      'TRB_CATALOG_STORE',
      `database schema version ${current} is newer than this build supports (${MIGRATIONS.length}); upgrade Tributary`,
    );
  }
  db.transaction(() => {
    for (let v = current; v < MIGRATIONS.length; v++) db.exec(MIGRATIONS[v]!);
    db.pragma(`user_version = ${MIGRATIONS.length}`);
  })();
}
