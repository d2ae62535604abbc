import { describe, expect, it } from '@jest/globals';
import { validateServiceRecord } from '../../../src/model/validate.js';
import { aServiceRecord, anEndpoint } from '../../support/builders.js';

describe('validateServiceRecord', () => {
  it('keeps a valid record unchanged', () => {
    const record = aServiceRecord();
    expect(validateServiceRecord(record, 'services[0]')).toEqual({ record, errors: [] });
  });

  it('drops only the bad endpoint and names its field, value and reason', () => {
    const good = anEndpoint({ address: '10.0.0.1' });
    const bad = anEndpoint({ address: '10.0.0.x' });
    const check = validateServiceRecord(aServiceRecord({ endpoints: [good, bad] }), 'services[0]');
    expect(check.record?.endpoints).toEqual([good]);
    expect(check.errors).toEqual([
      'services[0].endpoints[1].address: "10.0.0.x" is not an IPv4 or IPv6 address',
    ]);
  });

  it('rejects a service whose name is not a DNS label', () => {
    const check = validateServiceRecord(aServiceRecord({ name: 'Payments_API' }), 'services[2]');
    expect(check.record).toBeUndefined();
    expect(check.errors[0]).toMatch(/^services\[2\]\.name: "Payments_API" must be lowercase/);
  });

  it('rejects an endpoint serving a port the service does not have', () => {
    const check = validateServiceRecord(
      aServiceRecord({ endpoints: [anEndpoint({ servicePort: 9999 })] }),
      's',
    );
    expect(check.record?.endpoints).toEqual([]);
    expect(check.errors).toEqual(['s.endpoints[0].servicePort: 9999 is not a port of the service (8080)']);
  });

  it('rejects duplicate endpoints and zero weights', () => {
    const e = anEndpoint();
    const check = validateServiceRecord(
      aServiceRecord({ endpoints: [e, e, anEndpoint({ address: '10.0.0.9', weight: 0 })] }),
      's',
    );
    expect(check.record?.endpoints).toEqual([e]);
    expect(check.errors).toEqual([
      's.endpoints[1]: 10.0.0.1:8080 is listed twice for port 8080',
      's.endpoints[2].weight: 0 must be an integer from 1 to 1000000',
    ]);
  });
});
