/**
 * The configured API tokens, kept hashed: a presented secret is hashed (SHA-256) and compared with
 * every token's digest in constant time. Tokens come from `auth.tokens` and `auth.tokensFile`.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { TributaryError } from '../errors.js';
import { formatPath } from '../config/interpolate.js';
import { tokenSchema, type TokenConfig } from '../config/schema.js';
import type { Principal } from './scopes.js';

interface HashedToken {
  readonly digest: Buffer;
  readonly principal: Principal;
}

/** The SHA-256 of a secret as lowercase hex (what `auth.tokens[].sha256` holds). */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Every configured token; `authenticate` maps a presented secret to its principal. */
export class TokenSet {
  private readonly tokens: readonly HashedToken[];

  constructor(tokens: readonly TokenConfig[]) {
    this.tokens = tokens.map((t) => ({
      digest: Buffer.from(t.sha256, 'hex'),
      principal: { name: t.name, scopes: new Set(t.scopes) },
    }));
  }

  get size(): number {
    return this.tokens.length;
  }

  /** The principal whose secret this is, or undefined; compares against every token in constant time. */
  authenticate(secret: string): Principal | undefined {
    const digest = createHash('sha256').update(secret, 'utf8').digest();
    let found: Principal | undefined;
    for (const token of this.tokens) {
      if (timingSafeEqual(digest, token.digest) && found === undefined) found = token.principal;
    }
    return found;
  }
}

const tokensFileSchema = z.strictObject({ tokens: z.array(tokenSchema) });

/** Reads `auth.tokensFile` (resolved against `baseDir`): YAML or JSON `{ tokens: [...] }`. */
export async function readTokensFile(file: string, baseDir: string): Promise<TokenConfig[]> {
  const path = resolve(baseDir, file);
  let value: unknown;
  try {
    value = parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new TributaryError('TRB_CONFIG_UNREADABLE', `${path}: auth.tokensFile: ${String(error)}`, {
      field: 'auth.tokensFile',
      cause: error,
    });
  }
  const parsed = tokensFileSchema.safeParse(value);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${path}: ${formatPath(i.path) || '(root)'}: ${i.message}`);
    throw new TributaryError('TRB_CONFIG_INVALID', lines.join('\n'), { field: 'auth.tokensFile' });
  }
  return parsed.data.tokens;
}

/** The tokens of `auth` (inline plus file); a name used twice is a configuration error. */
export async function loadTokens(
  auth: { readonly tokens: readonly TokenConfig[]; readonly tokensFile?: string | undefined },
  baseDir: string,
): Promise<TokenSet> {
  const fromFile = auth.tokensFile === undefined ? [] : await readTokensFile(auth.tokensFile, baseDir);
  const all = [...auth.tokens, ...fromFile];
  const seen = new Set<string>();
  for (const token of all) {
    if (seen.has(token.name)) {
      throw new TributaryError(
        'TRB_CONFIG_INVALID',
        `auth.tokens: token name "${token.name}" is used twice`,
        {
          field: 'auth.tokens',
        },
      );
    }
    seen.add(token.name);
  }
  return new TokenSet(all);
}
