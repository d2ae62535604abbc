/** Revisions: a global monotonic counter committed with every batch, and the database epoch. */

/** `<epoch>-<revision>` identifies a catalog state across restarts and replicas. */
export function catalogVersionOf(epoch: string, revision: number): string {
  return `${epoch}-${revision}`;
}
