import { describe, expect, it } from '@jest/globals';
import {
  combineFileSet,
  FileSet,
  type AnalyzeFile,
  type FileRead,
  type GoodFiles,
} from '../../../../registries/file/file-set.js';
import { analyzeVmFile } from '../../../../registries/file/translate.js';

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

describe('FileSet', () => {
  function countingAnalyzer(): { analyze: AnalyzeFile; parsed: string[] } {
    const parsed: string[] = [];
    return {
      parsed,
      analyze: (text, file) => {
        parsed.push(file);
        return analyzeVmFile(text, file);
      },
    };
  }

  it('parses a file again only when its text changed', () => {
    const { analyze, parsed } = countingAnalyzer();
    const set = new FileSet(analyze);
    const a = { file: 'a.yaml', text: vmFile(['payments', '10.0.0.1']) };
    const b = { file: 'b.yaml', text: vmFile(['search', '10.0.0.3']) };
    set.replace([a, b]);
    set.replace([a, b]);
    set.update(new Map([['b.yaml', b]]), ['a.yaml', 'b.yaml']);
    expect(parsed).toEqual(['a.yaml', 'b.yaml']);
    set.update(new Map([['b.yaml', { file: 'b.yaml', text: vmFile(['search', '10.0.0.4']) }]]), [
      'a.yaml',
      'b.yaml',
    ]);
    expect(parsed).toEqual(['a.yaml', 'b.yaml', 'b.yaml']);
  });

  it('names only the services of the changed file when it shares none with other files', () => {
    const set = new FileSet();
    set.replace([
      { file: 'a.yaml', text: vmFile(['payments', '10.0.0.1']) },
      { file: 'b.yaml', text: vmFile(['search', '10.0.0.3'], ['cart', '10.0.0.4']) },
    ]);
    const keys = set.update(
      new Map([['b.yaml', { file: 'b.yaml', text: vmFile(['search', '10.0.0.5'], ['orders', '10.0.0.6']) }]]),
      ['a.yaml', 'b.yaml'],
    );
    expect(keys.sort()).toEqual(['default/cart', 'default/orders', 'default/search']);
    expect(namesAndAddresses(set.services())).toEqual([
      'payments@10.0.0.1',
      'search@10.0.0.5',
      'orders@10.0.0.6',
    ]);
  });

  it('gives what combineFileSet gives after every edit, whatever the files share', () => {
    // Seeded edits of 5 files drawing from 4 services: clashes, moves, broken and unreadable files,
    // deletions and new files; each checked against a full combine of the same files.
    let seed = 7;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const files = ['a.yaml', 'b.yaml', 'c.json', 'd.yaml', 'e.json'];
    const services = ['payments', 'search', 'cart', 'orders'];
    const contentOf = (file: string): FileRead | undefined => {
      const roll = random(10);
      if (roll === 0) return undefined;
      if (roll === 1) return { file, text: 'services: [' };
      if (roll === 2) return { file, error: `${file}: cannot be read: EACCES` };
      const chosen = services.filter(() => random(3) === 0);
      return {
        file,
        text: vmFile(...chosen.map((name): [string, string] => [name, `10.0.0.${random(9) + 1}`])),
      };
    };
    const current = new Map<string, FileRead>();
    const set = new FileSet();
    let good: GoodFiles = new Map();
    for (let step = 0; step < 400; step++) {
      const changes = new Map<string, FileRead | undefined>();
      for (let n = random(2) + 1; n > 0; n--) {
        const file = files[random(files.length)]!;
        const read = contentOf(file);
        changes.set(file, read);
        if (read === undefined) current.delete(file);
        else current.set(file, read);
      }
      const order = files.filter((file) => current.has(file));
      const reads = order.map((file) => current.get(file)!);
      if (step === 0) set.replace(reads);
      else set.update(changes, order);
      const expected = combineFileSet(reads, good);
      good = expected.good;
      expect({ services: set.services(), errors: set.errors(), good: [...set.good()] }).toEqual({
        services: expected.services,
        errors: expected.errors,
        good: [...expected.good],
      });
    }
  });
});
