import { describe, expect, it } from '@jest/globals';
import { combineFileSet, memoizedAnalyzer, type GoodFiles } from '../../../../registries/file/file-set.js';

function vmFile(...services: [name: string, address: string][]): string {
  const lines = ['services:'];
  for (const [name, address] of services) {
    lines.push(
      `  - name: ${name}`,
      '    ports: [{ number: 80, name: http }]',
      `    endpoints: [{ address: ${address} }]`,
    );
  }
  return lines.join('\n') + '\n';
}

function namesAndAddresses(
  services: readonly { name: string; endpoints: readonly { address: string }[] }[],
): string[] {
  return services.map((s) => `${s.name}@${s.endpoints.map((e) => e.address).join(',')}`);
}

describe('combineFileSet', () => {
  it('serves every good file in listing order', () => {
    const result = combineFileSet(
      [
        { file: 'a.yaml', text: vmFile(['payments', '10.0.0.1']) },
        { file: 'b.yaml', text: vmFile(['inventory', '10.0.0.2'], ['search', '10.0.0.3']) },
      ],
      new Map(),
    );
    expect(result.errors).toEqual([]);
    expect(namesAndAddresses(result.services)).toEqual([
      'payments@10.0.0.1',
      'inventory@10.0.0.2',
      'search@10.0.0.3',
    ]);
    expect([...result.good.keys()]).toEqual(['a.yaml', 'b.yaml']);
  });

  it('rejects the later file that defines a service again, naming both files', () => {
    const result = combineFileSet(
      [
        { file: 'a.yaml', text: vmFile(['payments', '10.0.0.1']) },
        { file: 'b.yaml', text: vmFile(['search', '10.0.0.3'], ['payments', '10.0.0.2']) },
      ],
      new Map(),
    );
    expect(result.errors).toEqual([
      'b.yaml:5:11: services[1].name: "default/payments" is already defined in a.yaml',
    ]);
    expect(namesAndAddresses(result.services)).toEqual(['payments@10.0.0.1']);
    expect([...result.good.keys()]).toEqual(['a.yaml']);
  });

  it('keeps the last good content of a file that is now broken or unreadable', () => {
    const first = combineFileSet(
      [
        { file: 'a.yaml', text: vmFile(['payments', '10.0.0.1']) },
        { file: 'b.yaml', text: vmFile(['search', '10.0.0.3']) },
      ],
      new Map(),
    );
    const second = combineFileSet(
      [
        { file: 'a.yaml', text: 'services: [' },
        { file: 'b.yaml', error: 'b.yaml: cannot be read: EACCES' },
      ],
      first.good,
    );
    expect(namesAndAddresses(second.services)).toEqual(['payments@10.0.0.1', 'search@10.0.0.3']);
    expect(second.errors).toHaveLength(2);
    expect(second.errors[0]).toMatch(/^a\.yaml:1:12: \(root\): Flow sequence/);
    expect(second.errors[1]).toBe('b.yaml: cannot be read: EACCES');
  });

  it('drops the services of a file that is no longer listed', () => {
    const previous: GoodFiles = new Map([['gone.yaml', []]]);
    const result = combineFileSet([{ file: 'a.yaml', text: vmFile(['payments', '10.0.0.1']) }], previous);
    expect([...result.good.keys()]).toEqual(['a.yaml']);
  });

  it('serves a service from the earlier file when a broken later file last had it too', () => {
    const first = combineFileSet(
      [{ file: 'b.yaml', text: vmFile(['payments', '10.0.0.2'], ['search', '10.0.0.3']) }],
      new Map(),
    );
    const second = combineFileSet(
      [
        { file: 'a.yaml', text: vmFile(['payments', '10.0.0.1']) },
        { file: 'b.yaml', text: vmFile(['payments', '10.0.0.2'], ['search', '10.0.0.3']) },
      ],
      first.good,
    );
    expect(namesAndAddresses(second.services)).toEqual(['payments@10.0.0.1', 'search@10.0.0.3']);
    expect(second.errors).toEqual([
      'b.yaml:2:11: services[0].name: "default/payments" is already defined in a.yaml',
    ]);
  });
});

describe('memoizedAnalyzer', () => {
  it('parses a file again only when its text changed, and forgets files no longer analyzed', () => {
    const memo = memoizedAnalyzer();
    const text = 'services:\n  - name: a\n    ports: [{ number: 80 }]\n';
    const first = memo.analyze(text, '/x/a.yaml');
    memo.prune();
    expect(memo.analyze(text, '/x/a.yaml')).toBe(first);
    memo.prune();
    expect(memo.analyze(`${text}\n`, '/x/a.yaml')).not.toBe(first);
    memo.prune();
    memo.prune();
    memo.prune();
    expect(memo.analyze(text, '/x/a.yaml')).not.toBe(first);
  });
});
