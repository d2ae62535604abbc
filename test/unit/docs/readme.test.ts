/** Docs that match the code: the README's config reference and error-code table are checked here. */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { registryFactories } from '../../../registries/index.js';
import { renderConfigReference } from '../../../src/config/reference.js';
import { ERROR_CODES } from '../../../src/errors.js';

const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');

describe('README.md', () => {
  it('holds the configuration reference generated from the schema (run `npm run docs:config`)', () => {
    expect(readme).toContain(renderConfigReference(registryFactories));
  });

  it('documents every error code with its description', () => {
    for (const [code, { description }] of Object.entries(ERROR_CODES)) {
      expect(readme).toContain(`| \`${code}\` | ${description} |`);
    }
  });

  it('gives the install-and-run and install-and-test commands that .ci/run uses', () => {
    expect(readme).toContain('npm ci && npm start');
    expect(readme).toContain('npm ci && npm test');
    expect(readFileSync(new URL('../../../.ci/run', import.meta.url), 'utf8')).toContain(
      'npm ci && npm test',
    );
  });
});
