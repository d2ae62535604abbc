import { describe, expect, it } from '@jest/globals';
import { formatSelector, matchesSelector, parseSelector, type Selector } from '../../../src/api/selector.js';

function parsed(text: string): Selector {
  const result = parseSelector(text);
  if (!result.valid) throw new Error(result.errors.join('; '));
  return result.value;
}

function errorOf(text: string): string {
  const result = parseSelector(text);
  if (result.valid) throw new Error(`"${text}" parsed`);
  return result.errors.join('; ');
}

describe('parseSelector', () => {
  it('reads an empty or blank selector as no requirements', () => {
    expect(parsed('')).toEqual({ requirements: [] });
    expect(parsed('   ')).toEqual({ requirements: [] });
  });

  it.each([
    ['env=prod', { key: 'env', operator: '=', values: ['prod'] }],
    ['env==prod', { key: 'env', operator: '=', values: ['prod'] }],
    ['env!=prod', { key: 'env', operator: '!=', values: ['prod'] }],
    ['env', { key: 'env', operator: 'exists', values: [] }],
    ['!env', { key: 'env', operator: '!exists', values: [] }],
    ['env in (prod,staging)', { key: 'env', operator: 'in', values: ['prod', 'staging'] }],
    ['env notin (dev)', { key: 'env', operator: 'notin', values: ['dev'] }],
    ['env=', { key: 'env', operator: '=', values: [''] }],
    ['app.kubernetes.io/name=web', { key: 'app.kubernetes.io/name', operator: '=', values: ['web'] }],
    ['version=1.2.3+build:7', { key: 'version', operator: '=', values: ['1.2.3+build:7'] }],
  ])('parses %s', (text, requirement) => {
    expect(parsed(text)).toEqual({ requirements: [requirement] });
  });

  it('reads commas as AND and ignores whitespace around tokens', () => {
    expect(parsed(' env = prod , tier in ( a , b ),!canary ,region').requirements).toEqual([
      { key: 'env', operator: '=', values: ['prod'] },
      { key: 'tier', operator: 'in', values: ['a', 'b'] },
      { key: 'canary', operator: '!exists', values: [] },
      { key: 'region', operator: 'exists', values: [] },
    ]);
  });

  it('accepts in and notin as key names', () => {
    expect(parsed('in in (notin)').requirements).toEqual([{ key: 'in', operator: 'in', values: ['notin'] }]);
  });

  it.each([
    ['env in (a', 'expected "," or ")" in the value list, found the end of the selector'],
    ['env in a', 'expected "(" to open the value list, found "a" at position 8'],
    ['env in ()', 'expected a value, found ")" at position 9'],
    ['env in (a,)', 'expected a value, found ")" at position 11'],
    ['env prod', 'expected an operator (=, ==, !=, in, notin) after "env", found "prod" at position 5'],
    ['env=prod,', 'expected a label key, found the end of the selector'],
    [',env', 'expected a label key, found "," at position 1'],
    ['env=a b', 'expected "," or the end of the selector, found "b" at position 7'],
    ['env=(a)', 'expected a value, found "(" at position 5'],
    ['!', 'expected a label key, found the end of the selector'],
    ['!env=a', 'expected "," or the end of the selector, found "=" at position 5'],
    ['-bad=a', '"-bad" at position 1 is not a valid label key'],
    ['env in (a) b', 'expected "," or the end of the selector, found "b" at position 12'],
  ])('rejects %j: %s', (text, message) => {
    expect(errorOf(text)).toBe(message);
  });
});

describe('matchesSelector', () => {
  const labels = { env: 'prod', tier: 'backend', empty: '' };

  it.each([
    ['', true],
    ['env=prod', true],
    ['env=dev', false],
    ['env!=dev', true],
    ['env!=prod', false],
    ['missing!=x', true],
    ['env', true],
    ['missing', false],
    ['!missing', true],
    ['!env', false],
    ['tier in (frontend,backend)', true],
    ['tier in (frontend)', false],
    ['missing in (x)', false],
    ['tier notin (frontend)', true],
    ['tier notin (backend)', false],
    ['missing notin (x)', true],
    ['empty=', true],
    ['env=', false],
    ['env=prod,tier=backend', true],
    ['env=prod,tier=frontend', false],
  ])('%j matches: %s', (text, expected) => {
    expect(matchesSelector(parsed(text), labels)).toBe(expected);
  });

  it('does not match inherited object properties as labels', () => {
    expect(matchesSelector(parsed('constructor'), {})).toBe(false);
    expect(matchesSelector(parsed('toString notin (x)'), {})).toBe(true);
  });
});

describe('formatSelector', () => {
  it('gives equal selectors one canonical text', () => {
    const a = formatSelector(parsed('tier in (b,a),env==prod,!x'));
    const b = formatSelector(parsed(' !x , env=prod,tier in (a,b,a)'));
    expect(a).toBe(b);
    expect(a).toBe('!x,env=prod,tier in (a,b)');
  });

  it('round-trips through parseSelector', () => {
    const text = formatSelector(parsed('a notin (y,x),b!=,c'));
    expect(formatSelector(parsed(text))).toBe(text);
  });
});
