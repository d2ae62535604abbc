import { describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { registryFactories } from '../../../registries/index.js';
import { loadTokens } from '../../../src/auth/tokens.js';
import { loadConfig } from '../../../src/config/load.js';
import { findPackageRoot } from '../../../src/xds/codec/proto-root.js';

const root = findPackageRoot(import.meta.url);

describe('compose/federation', () => {
  it.each(['a', 'b'])(
    'cloud-%s.yaml validates and each cloud exports to the other and imports it',
    async (cloud) => {
      const other = cloud === 'a' ? 'b' : 'a';
      const config = await loadConfig(
        join(root, 'compose/federation', `cloud-${cloud}.yaml`),
        registryFactories,
        {},
      );
      expect(config.sources.map((s) => s.id)).toEqual([`consul/cloud-${cloud}`, `peer/cloud-${other}`]);
      expect(config.federation.exports.map((e) => e.peer)).toEqual([`cloud-${other}`]);
      const tokens = await loadTokens(config.auth, config.baseDir);
      expect(tokens.authenticate('change-me')?.scopes).toEqual(new Set([`peer:cloud-${other}`]));
    },
  );
});
