import { describe, expect, it } from '@jest/globals';
import { formatPath, interpolateEnv } from '../../../src/config/interpolate.js';

describe('interpolateEnv', () => {
  it('replaces ${VAR} with its value anywhere in a string', () => {
    const result = interpolateEnv({ url: 'http://${HOST}:${PORT}/v1' }, { HOST: 'consul', PORT: '8500' });
    expect(result).toEqual({ value: { url: 'http://consul:8500/v1' }, errors: [] });
  });

  it('uses the default of ${VAR:-default} when the variable is unset or empty', () => {
    const config = { a: '${A:-fallback}', b: '${B:-}', c: '${C:-x}' };
    expect(interpolateEnv(config, { C: '' }).value).toEqual({ a: 'fallback', b: '', c: 'x' });
    expect(interpolateEnv(config, { A: 'set' }).value).toEqual({ a: 'set', b: '', c: 'x' });
  });

  it('keeps an empty value of a set variable referenced without a default', () => {
    expect(interpolateEnv({ token: '${TOKEN}' }, { TOKEN: '' })).toEqual({
      value: { token: '' },
      errors: [],
    });
  });

  it('reads $${ as a literal ${', () => {
    expect(interpolateEnv({ a: 'cost $${A} and $${' }, { A: 'nope' })).toEqual({
      value: { a: 'cost ${A} and ${' },
      errors: [],
    });
  });

  it('reports an unset variable without a default with the path of the field', () => {
    const result = interpolateEnv({ sources: [{ kind: 'consul', token: 'Bearer ${CONSUL_TOKEN}' }] }, {});
    expect(result.errors).toEqual([
      {
        path: ['sources', 0, 'token'],
        message: 'environment variable CONSUL_TOKEN is not set (referenced as ${CONSUL_TOKEN})',
      },
    ]);
    expect(formatPath(result.errors[0]!.path)).toBe('sources[0].token');
  });

  it('walks arrays and maps, leaving keys and non-strings alone', () => {
    const result = interpolateEnv(
      { '${K}': ['${V}', 3, true, null, { deep: '${V}' }] },
      { K: 'key', V: 'value' },
    );
    expect(result.value).toEqual({ '${K}': ['value', 3, true, null, { deep: 'value' }] });
  });

  it('leaves strings without references untouched, including a lone $', () => {
    expect(interpolateEnv({ a: 'price: $5, ${not closed', b: '$HOME' }, { HOME: '/root' }).value).toEqual({
      a: 'price: $5, ${not closed',
      b: '$HOME',
    });
  });
});

describe('formatPath', () => {
  it('joins names with dots and puts indexes in brackets', () => {
    expect(formatPath(['sources', 2, 'paths', 0])).toBe('sources[2].paths[0]');
    expect(formatPath([])).toBe('');
  });
});
