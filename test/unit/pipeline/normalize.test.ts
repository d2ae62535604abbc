import { describe, expect, it } from '@jest/globals';
import { canonicalAddress, canonicalRecord } from '../../../src/pipeline/normalize.js';
import { aServiceRecord, anEndpoint } from '../../support/builders.js';

describe('canonicalAddress', () => {
  it('compresses and lowercases IPv6', () => {
    expect(canonicalAddress('2001:DB8:0:0:0:0:0:1')).toBe('2001:db8::1');
    expect(canonicalAddress('FE80::0001')).toBe('fe80::1');
  });

  it('leaves IPv4 unchanged', () => {
    expect(canonicalAddress('10.0.0.1')).toBe('10.0.0.1');
  });
});

describe('canonicalRecord', () => {
  it('serializes the same content to the same bytes whatever the input order', () => {
    const ports = [
      { number: 9090, name: 'metrics', protocol: 'http' as const },
      { number: 80, name: 'http', protocol: 'http' as const },
    ];
    const a = anEndpoint({ address: '10.0.0.2', servicePort: 80, labels: { zone: 'a', app: 'x' } });
    const b = anEndpoint({ address: '10.0.0.1', servicePort: 9090 });
    const c = anEndpoint({ address: '10.0.0.1', servicePort: 80 });
    const one = canonicalRecord(aServiceRecord({ ports, labels: { b: '1', a: '2' }, endpoints: [a, b, c] }));
    const two = canonicalRecord(
      aServiceRecord({ ports: [...ports].reverse(), labels: { a: '2', b: '1' }, endpoints: [c, b, a] }),
    );
    expect(JSON.stringify(one)).toBe(JSON.stringify(two));
    expect(one.ports.map((p) => p.number)).toEqual([80, 9090]);
    expect(Object.keys(one.labels)).toEqual(['a', 'b']);
    expect(one.endpoints.map((e) => `${e.servicePort}/${e.address}`)).toEqual([
      '80/10.0.0.1',
      '80/10.0.0.2',
      '9090/10.0.0.1',
    ]);
    expect(Object.keys(one.endpoints[1]!.labels)).toEqual(['app', 'zone']);
  });

  it('drops fields that are not part of the model', () => {
    const extra = { ...anEndpoint(), debug: true } as ReturnType<typeof anEndpoint>;
    const record = canonicalRecord(aServiceRecord({ endpoints: [extra] }));
    expect(Object.keys(record.endpoints[0]!)).not.toContain('debug');
  });
});
