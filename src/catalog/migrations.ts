/** Schema migrations, applied in order; PRAGMA user_version records how many have run. */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
  -- What each source last said about each service (replace semantics): the durable log.
  CREATE TABLE records (
    source_id TEXT NOT NULL,
    namespace TEXT NOT NULL,
    name TEXT NOT NULL,
    body TEXT NOT NULL,
    revision INTEGER NOT NULL,
    PRIMARY KEY (source_id, namespace, name)
  ) WITHOUT ROWID;
  CREATE TABLE sources (
    source_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    state TEXT NOT NULL,
    last_sync TEXT,
    last_error TEXT
  ) WITHOUT ROWID;
  -- Modify revision of each merged service.
  CREATE TABLE services (
    namespace TEXT NOT NULL,
    name TEXT NOT NULL,
    revision INTEGER NOT NULL,
    PRIMARY KEY (namespace, name)
  ) WITHOUT ROWID;
  -- Bounded change log backing since(revision) across restarts.
  CREATE TABLE changes (revision INTEGER PRIMARY KEY, body TEXT NOT NULL);
  `,
];
