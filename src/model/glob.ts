/** Name globs of config filters (Consul service filters, federation export policies). Pure. */

/** `*` any run, `?` one character, everything else literal. */
export function globMatch(pattern: string, value: string): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`).test(value);
}

/** True when some glob of `globs` matches `value`. */
export const anyGlobMatch = (globs: readonly string[], value: string): boolean =>
  globs.some((g) => globMatch(g, value));
