/** Validation results as a union with field paths (STYLE.md habit 9): never throw on bad input. */
export type ValidationResult<T> = { valid: true; value: T } | { valid: false; errors: string[] };

/** Builds field paths like `endpoints[3].address` without hand-typing them. */
export function fieldPath(base: string, ...parts: (string | number)[]): string {
  let path = base;
  for (const part of parts) {
    if (typeof part === 'number') path += `[${part}]`;
    else path += path === '' ? part : `.${part}`;
  }
  return path;
}
