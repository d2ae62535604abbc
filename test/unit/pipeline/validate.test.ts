import { describe, expect, it } from '@jest/globals';
import type { Endpoint } from '../../../src/model/endpoint.js';
import type { ServiceRecord } from '../../../src/model/service.js';
import { checkEvent, type CheckedEvent } from '../../../src/pipeline/validate.js';
import { aServiceRecord, anEndpoint } from '../../support/builders.js';

type Checked<T extends CheckedEvent['type']> = Extract<CheckedEvent, { type: T }>;

function snapshot(services: ServiceRecord[]): Checked<'snapshot'> {
  const checked = checkEvent({ type: 'snapshot', services });
  if (checked.type !== 'snapshot') throw new Error(`expected a snapshot, got ${checked.type}`);
  return checked;
}

function upsert(service: ServiceRecord): Checked<'upsert'> {
  const checked = checkEvent({ type: 'upsert', service });
  if (checked.type !== 'upsert') throw new Error(`expected an upsert, got ${checked.type}`);
  return checked;
}

describe('checkEvent', () => {
  describe('snapshot', () => {
    it('keeps every valid record keyed by namespace/name, with no reasons', () => {
      const checked = snapshot([
        aServiceRecord({ name: 'a' }),
        aServiceRecord({ name: 'b', namespace: 'shop' }),
      ]);
      expect([...checked.services.keys()]).toEqual(['default/a', 'shop/b']);
      expect(checked.keep.size).toBe(0);
      expect(checked.errors.size).toBe(0);
    });

    it('drops a bad endpoint with its services[i] path and keeps the rest of the snapshot', () => {
      const checked = snapshot([
        aServiceRecord({ name: 'a' }),
        aServiceRecord({
          name: 'b',
          endpoints: [anEndpoint({ address: '10.0.0.1' }), anEndpoint({ address: 'not-an-ip' })],
        }),
      ]);
      expect([...checked.services.keys()]).toEqual(['default/a', 'default/b']);
      expect(checked.services.get('default/b')?.endpoints.map((e) => e.address)).toEqual(['10.0.0.1']);
      expect(checked.errors.get('default/b')).toEqual([
        'services[1].endpoints[1].address: "not-an-ip" is not an IPv4 or IPv6 address',
      ]);
    });

    it('lists a record rejected whole but with a valid name in keep, so its last good state stays', () => {
      const checked = snapshot([
        aServiceRecord({ name: 'a' }),
        aServiceRecord({ name: 'b', ports: [{ number: 70000, name: 'http', protocol: 'http' }] }),
      ]);
      expect([...checked.services.keys()]).toEqual(['default/a']);
      expect([...checked.keep]).toEqual(['default/b']);
      expect(checked.errors.get('default/b')).toEqual([
        'services[1].ports[0].number: 70000 is not a port number (1-65535)',
      ]);
    });

    it('does not keep a record whose name itself is invalid', () => {
      const checked = snapshot([aServiceRecord({ name: 'Bad_Name' })]);
      expect(checked.services.size).toBe(0);
      expect(checked.keep.size).toBe(0);
      expect(checked.errors.get('default/Bad_Name')?.[0]).toMatch(
        /^services\[0\]\.name: "Bad_Name" must be lowercase/,
      );
    });

    it('reports a service listed twice and keeps the first', () => {
      const checked = snapshot([
        aServiceRecord({ endpoints: [anEndpoint({ address: '10.0.0.1' })] }),
        aServiceRecord({ name: 'other' }),
        aServiceRecord({ endpoints: [anEndpoint({ address: '10.0.0.2' })] }),
      ]);
      expect(checked.services.get('default/payments')?.endpoints.map((e) => e.address)).toEqual(['10.0.0.1']);
      expect(checked.errors.get('default/payments')).toEqual([
        'services[2]: service default/payments is listed twice; the first is kept',
      ]);
    });

    it('canonicalizes records: IPv6 compressed and lowercase, endpoints and labels sorted', () => {
      const checked = snapshot([
        aServiceRecord({
          labels: { zeta: '1', alpha: '2' },
          endpoints: [
            anEndpoint({ address: '2001:DB8:0:0:0:0:0:2', labels: { b: '1', a: '1' } }),
            anEndpoint({ address: '10.0.0.9' }),
            anEndpoint({ address: '10.0.0.1' }),
          ],
        }),
      ]);
      const record = checked.services.get('default/payments');
      expect(record?.endpoints.map((e) => e.address)).toEqual(['10.0.0.1', '10.0.0.9', '2001:db8::2']);
      expect(Object.keys(record?.labels ?? {})).toEqual(['alpha', 'zeta']);
      expect(Object.keys(record?.endpoints[2]?.labels ?? {})).toEqual(['a', 'b']);
    });

    it('treats two spellings of one IPv6 address as the same endpoint', () => {
      const checked = snapshot([
        aServiceRecord({
          endpoints: [anEndpoint({ address: '2001:DB8::1' }), anEndpoint({ address: '2001:db8:0::1' })],
        }),
      ]);
      expect(checked.services.get('default/payments')?.endpoints.map((e) => e.address)).toEqual([
        '2001:db8::1',
      ]);
      expect(checked.errors.get('default/payments')).toEqual([
        'services[0].endpoints[1]: [2001:db8::1]:8080 is listed twice for port 8080',
      ]);
    });

    it('never throws on a malformed record', () => {
      const broken = {
        namespace: 'default',
        name: 'x',
        ports: 'nope',
        labels: null,
        endpoints: {},
      } as unknown as ServiceRecord;
      const checked = snapshot([broken]);
      expect(checked.services.size).toBe(0);
      expect(checked.keep.has('default/x')).toBe(true);
      expect(checked.errors.get('default/x')).toEqual([
        'services[0].ports: a service needs at least one port',
        'services[0].labels: must be a map of strings',
        'services[0].endpoints: must be a list',
      ]);
    });
  });

  describe('upsert', () => {
    it('canonicalizes a valid record and clears the reasons of its key', () => {
      const checked = upsert(aServiceRecord({ endpoints: [anEndpoint({ address: 'FE80::1' })] }));
      expect(checked.key).toBe('default/payments');
      expect(checked.record?.endpoints[0]?.address).toBe('fe80::1');
      expect([...checked.errors]).toEqual([['default/payments', []]]);
    });

    it('drops a bad endpoint and keeps the record', () => {
      const bad = anEndpoint({ address: '10.0.0.2', weight: 0 } satisfies Partial<Endpoint>);
      const checked = upsert(aServiceRecord({ endpoints: [anEndpoint(), bad] }));
      expect(checked.record?.endpoints).toHaveLength(1);
      expect(checked.errors.get('default/payments')).toEqual([
        'default/payments.endpoints[1].weight: 0 must be an integer from 1 to 1000000',
      ]);
    });

    it('rejects a record with a bad service field whole: nothing changes for that service', () => {
      const checked = upsert(aServiceRecord({ ports: [] }));
      expect(checked.record).toBeUndefined();
      expect(checked.errors.get('default/payments')).toEqual([
        'default/payments.ports: a service needs at least one port',
      ]);
    });
  });

  it('passes a delete through with its key and clears that key’s reasons', () => {
    expect(checkEvent({ type: 'delete', namespace: 'default', name: 'payments' })).toEqual({
      type: 'delete',
      key: 'default/payments',
      errors: new Map([['default/payments', []]]),
    });
  });

  it('passes a status through', () => {
    const status = { type: 'status' as const, state: 'degraded' as const, error: 'x', stale: true };
    expect(checkEvent(status)).toEqual({ type: 'status', status });
  });
});
