/**
 * The durable side of VM registrations: the `registrations` table in the catalog's SQLite file,
 * through a connection of its own with `synchronous = FULL`, so that a write has reached the disk
 * (WAL fsynced) before the API answers 2xx: a `kill -9` right after any 2xx loses nothing. Reads
 * come from the in-memory map loaded at open; SQL is only written on the request path.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { TributaryError } from '../errors.js';
import type { Registration } from '../model/registration.js';
import { REGISTRATION_MIGRATIONS } from './migrations.js';

/** Registrations by id, in memory, mirrored to SQLite on every write. */
export class RegistrationStore {
  private readonly byId = new Map<string, Registration>();
  private readonly upsertStatement: Database.Statement;
  private readonly deleteStatement: Database.Statement;
  private readonly deleteMany: (ids: readonly string[]) => void;

  private constructor(private readonly db: Database.Database) {
    this.upsertStatement = db.prepare(
      `INSERT INTO registrations (id, namespace, body) VALUES (?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET namespace = excluded.namespace, body = excluded.body`,
    );
    this.deleteStatement = db.prepare('DELETE FROM registrations WHERE id = ?');
    this.deleteMany = db.transaction((ids: readonly string[]) => {
      for (const id of ids) this.deleteStatement.run(id);
    });
    const rows = db.prepare('SELECT body FROM registrations').raw().all() as [string][];
    for (const [body] of rows) {
      const registration = JSON.parse(body) as Registration;
      this.byId.set(registration.id, registration);
    }
  }

  /** Opens (creating if needed) the database at `path`, runs pending migrations and loads every row. */
  static open(path: string): RegistrationStore {
    try {
      if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
      const db = new Database(path);
      db.pragma('journal_mode = WAL');
      // FULL: every commit fsyncs the WAL before it returns, so a 2xx survives kill -9 and power loss.
      db.pragma('synchronous = FULL');
      db.pragma('busy_timeout = 5000');
      migrate(db);
      return new RegistrationStore(db);
    } catch (error) {
      if (error instanceof TributaryError) throw error;
      throw new TributaryError(
        'TRB_REGISTRATION_STORE',
        `cannot open registration store ${path}: ${String(error)}`,
        { field: 'dataDir', cause: error },
      );
    }
  }

  /** The registration with this id. */
  get(id: string): Registration | undefined {
    return this.byId.get(id);
  }

  /** Every registration (insertion order). */
  values(): IterableIterator<Registration> {
    return this.byId.values();
  }

  get size(): number {
    return this.byId.size;
  }

  /** Writes one registration (committed and fsynced when it returns), then updates the map. */
  put(registration: Registration): void {
    this.write(() =>
      this.upsertStatement.run(registration.id, registration.namespace, JSON.stringify(registration)),
    );
    this.byId.set(registration.id, registration);
  }

  /** Deletes registrations by id in one transaction; returns those that existed. */
  delete(ids: readonly string[]): Registration[] {
    const found = ids.map((id) => this.byId.get(id)).filter((r): r is Registration => r !== undefined);
    if (found.length === 0) return [];
    this.write(() => this.deleteMany(found.map((r) => r.id)));
    for (const r of found) this.byId.delete(r.id);
    return found;
  }

  /** Closes the connection (the catalog's connection checkpoints the WAL). Idempotent. */
  close(): void {
    if (this.db.open) this.db.close();
  }

  private write(run: () => void): void {
    try {
      run();
    } catch (error) {
      throw new TributaryError('TRB_REGISTRATION_STORE', `registration write failed: ${String(error)}`, {
        cause: error,
      });
    }
  }
}

function migrate(db: Database.Database): void {
  db.exec('CREATE TABLE IF NOT EXISTS registration_schema (version INTEGER NOT NULL)');
  const row = db.prepare('SELECT MAX(version) AS version FROM registration_schema').get() as {
    version: number | null;
  };
  const current = row.version ?? 0;
  if (current > REGISTRATION_MIGRATIONS.length) {
    throw new TributaryError(
      'TRB_REGISTRATION_STORE',
      `registration schema version ${current} is newer than this build supports (${REGISTRATION_MIGRATIONS.length}); upgrade Tributary`,
    );
  }
  db.transaction(() => {
    for (let v = current; v < REGISTRATION_MIGRATIONS.length; v++) db.exec(REGISTRATION_MIGRATIONS[v]!);
    if (current < REGISTRATION_MIGRATIONS.length) {
      db.prepare('INSERT INTO registration_schema (version) VALUES (?)').run(REGISTRATION_MIGRATIONS.length);
    }
  })();
}
