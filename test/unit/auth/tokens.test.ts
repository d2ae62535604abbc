import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashSecret, loadTokens, TokenSet } from '../../../src/auth/tokens.js';

describe('TokenSet', () => {
  const set = new TokenSet([
    { name: 'shop', sha256: hashSecret('s3cret'), scopes: ['register:shop'] },
    { name: 'ops', sha256: hashSecret('0ps'), scopes: ['admin'] },
  ]);

  it('maps a secret to its token by hash, and nothing else', () => {
    expect(set.authenticate('s3cret')?.name).toBe('shop');
    expect([...(set.authenticate('0ps')?.scopes ?? [])]).toEqual(['admin']);
    expect(set.authenticate('nope')).toBeUndefined();
    expect(set.authenticate(hashSecret('s3cret'))).toBeUndefined();
  });

  it('hashes like sha256sum', () => {
    // printf %s abc | sha256sum
    expect(hashSecret('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});

describe('loadTokens', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tributary-tokens-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('adds the tokens of tokensFile, resolved against the config directory', async () => {
    writeFileSync(
      join(dir, 'tokens.yaml'),
      `tokens:\n  - { name: file-token, sha256: ${hashSecret('f')}, scopes: [read] }\n`,
    );
    const set = await loadTokens({ tokens: [], tokensFile: 'tokens.yaml' }, dir);
    expect(set.size).toBe(1);
    expect(set.authenticate('f')?.name).toBe('file-token');
  });

  it('names the file and field of a bad token, and refuses a name used twice', async () => {
    writeFileSync(join(dir, 'tokens.yaml'), 'tokens:\n  - { name: x, sha256: abc, scopes: [read] }\n');
    await expect(loadTokens({ tokens: [], tokensFile: 'tokens.yaml' }, dir)).rejects.toMatchObject({
      code: 'TRB_CONFIG_INVALID',
      message: expect.stringContaining('tokens.yaml: tokens[0].sha256: must be the SHA-256'),
    });
    const token = { name: 'twice', sha256: hashSecret('a'), scopes: ['read'] };
    await expect(loadTokens({ tokens: [token, token] }, dir)).rejects.toMatchObject({
      code: 'TRB_CONFIG_INVALID',
      message: expect.stringContaining('"twice" is used twice'),
    });
  });
});
