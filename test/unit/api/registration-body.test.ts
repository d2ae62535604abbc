import { describe, expect, it } from '@jest/globals';
import { parseInput } from '../../../src/api/query.js';
import {
  heartbeatBodySchema,
  idParamsSchema,
  registrationBodySchema,
  toRegistrationInput,
} from '../../../src/api/registration-body.js';
import { TributaryError } from '../../../src/errors.js';

const GOOD = { service: 'payments', namespace: 'shop', address: '10.0.0.1', port: 8080 };

/** The field and message of the 400 a body gets. */
function refusal(body: unknown): string {
  try {
    toRegistrationInput('vm-1', parseInput(registrationBodySchema, body, 'body'));
  } catch (error) {
    if (error instanceof TributaryError && error.code === 'TRB_API_BAD_REQUEST') return error.message;
    throw error;
  }
  throw new Error('accepted');
}

describe('registration body', () => {
  it('fills defaults: namespace default, one tcp port named port-<n>, weight 1, passing', () => {
    const input = toRegistrationInput(
      'vm-1',
      parseInput(registrationBodySchema, { ...GOOD, namespace: undefined }, 'body'),
    );
    expect(input).toMatchObject({
      id: 'vm-1',
      namespace: 'default',
      ports: [{ name: 'port-8080', number: 8080, servicePort: 8080, protocol: 'tcp' }],
      weight: 1,
      status: 'passing',
      ttlMs: undefined,
      checkId: 'service:vm-1',
    });
  });

  it('reads ports with target and service port, ttl and grace durations', () => {
    const body = {
      ...GOOD,
      port: undefined,
      ports: [{ name: 'http', number: 18080, servicePort: 80, protocol: 'http' }],
      ttl: '1m30s',
      grace: 5,
    };
    expect(toRegistrationInput('x', parseInput(registrationBodySchema, body, 'body'))).toMatchObject({
      ports: [{ name: 'http', number: 18080, servicePort: 80, protocol: 'http' }],
      ttlMs: 90_000,
      graceMs: 5000,
    });
  });

  it('names the field of every mistake', () => {
    expect(refusal({ ...GOOD, address: 'host.example' })).toBe(
      'body.address: must be an IPv4 or IPv6 address',
    );
    expect(refusal({ ...GOOD, service: 'Payments' })).toMatch(/^body\.service: must be lowercase/);
    expect(refusal({ ...GOOD, port: 70000 })).toBe('body.port: must be a port number (1-65535)');
    expect(refusal({ ...GOOD, ports: [{ number: 1 }] })).toBe(
      'body.ports: give either port or ports (not both)',
    );
    expect(refusal({ ...GOOD, port: undefined, ports: [{ number: 1 }, { number: 1 }] })).toMatch(
      /^body\.ports\[1\]: port "port-1" \(1\) is listed twice/,
    );
    expect(refusal({ ...GOOD, ttl: '10ms' })).toMatch(/^body\.ttl: must be between 100 ms/);
    expect(refusal({ ...GOOD, ttl: 'soon' })).toMatch(/^body\.ttl: must be a duration/);
    expect(refusal({ ...GOOD, labels: { 'bad key!': 'x' } })).toBe(
      'body.labels.bad key!: is not a valid label key',
    );
    expect(refusal({ ...GOOD, colour: 'red' })).toMatch(/^body: Unrecognized key/);
    expect(refusal({ ...GOOD, status: 'fine' })).toMatch(/^body\.status: /);
    expect(refusal(undefined)).toMatch(/^body: /);
  });

  it('caps the number of ports and labels', () => {
    const ports = Array.from({ length: 33 }, (_, i) => ({ number: i + 1 }));
    expect(refusal({ ...GOOD, port: undefined, ports })).toMatch(/^body\.ports: Too big/);
    const labels = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, 'v']));
    expect(refusal({ ...GOOD, labels })).toBe('body.labels: at most 64 labels');
  });

  it('accepts an empty heartbeat body, and checks ids', () => {
    expect(parseInput(heartbeatBodySchema, undefined, 'body')).toBeUndefined();
    expect(parseInput(heartbeatBodySchema, { status: 'critical', note: 'x' }, 'body')).toEqual({
      status: 'critical',
      note: 'x',
    });
    expect(() => parseInput(idParamsSchema, { id: '../etc' }, 'params')).toThrow(/^params\.id: /);
    expect(parseInput(idParamsSchema, { id: 'web-1:8080' }, 'params').id).toBe('web-1:8080');
  });
});
