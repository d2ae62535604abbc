/**
 * `${VAR}` and `${VAR:-default}` in config strings, resolved from the environment so secrets stay
 * out of the file. `$${` is a literal `${`. Pure; an unset variable without a default is an error
 * naming the field.
 */
import { fieldPath } from '../model/validation.js';

const REFERENCE = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** A walk result: the interpolated value and every error with its field path. */
export interface Interpolated {
  readonly value: unknown;
  readonly errors: readonly { path: (string | number)[]; message: string }[];
}

/** Interpolates every string in a parsed YAML/JSON value. */
export function interpolateEnv(
  value: unknown,
  env: Readonly<Record<string, string | undefined>>,
): Interpolated {
  const errors: { path: (string | number)[]; message: string }[] = [];
  const walk = (node: unknown, path: (string | number)[]): unknown => {
    if (typeof node === 'string') {
      return node.replace(
        REFERENCE,
        (match: string, name: string | undefined, fallback: string | undefined) => {
          if (name === undefined) return '${';
          const resolved = env[name];
          // `:-` (like the shell) also replaces an empty value; a set-but-empty `${VAR}` stays empty.
          if (fallback !== undefined) return resolved === undefined || resolved === '' ? fallback : resolved;
          if (resolved !== undefined) return resolved;
          errors.push({ path, message: `environment variable ${name} is not set (referenced as ${match})` });
          return match;
        },
      );
    }
    if (Array.isArray(node)) return node.map((item, i) => walk(item, [...path, i]));
    if (node !== null && typeof node === 'object') {
      return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(v, [...path, k])]));
    }
    return node;
  };
  return { value: walk(value, []), errors };
}

/** `sources[2].paths[0]` from a path array. */
export function formatPath(path: readonly PropertyKey[]): string {
  return fieldPath('', ...path.map((p) => (typeof p === 'number' ? p : String(p))));
}
