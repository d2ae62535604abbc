/**
 * Schema migrations of the registration table, applied in order. They share the catalog's SQLite
 * file but not its PRAGMA user_version (that counts the catalog's migrations): the number applied is
 * kept in `registration_schema`.
 */
export const REGISTRATION_MIGRATIONS: readonly string[] = [
  `
  -- One row per registered instance; body is the Registration as JSON (src/model/registration.ts).
  CREATE TABLE registrations (
    id TEXT PRIMARY KEY,
    namespace TEXT NOT NULL,
    body TEXT NOT NULL
  ) WITHOUT ROWID;
  `,
];
