/** Tests of src/xds/naming.ts (kept beside the builders that use it). */
import { describe, expect, it } from '@jest/globals';
import {
  authorityAliases,
  candidateServiceKeys,
  clusterName,
  parseAuthority,
  parseClusterName,
  resolveAuthority,
  routeNameOf,
} from '../../../../src/xds/naming.js';
import { FakeCatalog, aCatalogService } from '../../../fakes/catalog.js';

const DOMAIN = 'svc.cluster.local';
const twoPorts = aCatalogService({
  name: 'orders',
  ports: [
    { number: 8080, name: 'http', protocol: 'http' },
    { number: 9090, name: 'grpc', protocol: 'grpc' },
  ],
});
const view = new FakeCatalog([aCatalogService(), twoPorts]).view();

describe('cluster names', () => {
  it('are outbound|<port>||<hostname> and parse back', () => {
    const name = clusterName(8080, 'payments.default.svc.cluster.local');
    expect(name).toBe('outbound|8080||payments.default.svc.cluster.local');
    expect(parseClusterName(name)).toEqual({ port: 8080, hostname: 'payments.default.svc.cluster.local' });
  });

  it.each([
    'inbound|8080||h',
    'outbound|8080|v2|h',
    'outbound|0||h',
    'outbound|x||h',
    'outbound|8080||',
    'h',
    'outbound|1||h|',
  ])('rejects %j', (name) => {
    expect(parseClusterName(name)).toBeUndefined();
  });

  it('name a listener’s route config after the listener', () => {
    expect(routeNameOf('payments.default:8080')).toBe('payments.default:8080');
  });
});

describe('parseAuthority', () => {
  it.each([
    ['payments.default', { host: 'payments.default', port: undefined }],
    ['Payments.Default:8080', { host: 'payments.default', port: 8080 }],
    ['payments.default:', undefined],
    ['payments.default:70000', undefined],
    [':8080', undefined],
    ['', undefined],
  ])('%j → %j', (authority, parsed) => {
    expect(parseAuthority(authority)).toEqual(parsed);
  });
});

describe('resolveAuthority', () => {
  it.each([
    ['payments.default', 'payments', 8080],
    ['payments.default:8080', 'payments', 8080],
    ['payments.default.svc.cluster.local', 'payments', 8080],
    ['payments.default.svc.cluster.local:8080', 'payments', 8080],
    ['orders.default:9090', 'orders', 9090],
    ['orders.default.svc.cluster.local:8080', 'orders', 8080],
  ])('resolves %j to %s port %d', (authority, name, port) => {
    const resolved = resolveAuthority(authority, view, DOMAIN);
    expect([resolved?.service.name, resolved?.port.number]).toEqual([name, port]);
  });

  it.each([
    ['a port the service does not have', 'payments.default:9090'],
    ['no port for a service with two', 'orders.default'],
    ['an unknown service', 'nope.default:8080'],
    ['an unknown namespace', 'payments.other'],
    ['a bare name', 'payments'],
    ['another domain', 'payments.default.svc.example.com'],
    ['a partial domain', 'payments.default.svc'],
    ['an empty label', '.default:8080'],
  ])('gives undefined for %s (%j)', (_why, authority) => {
    expect(resolveAuthority(authority, view, DOMAIN)).toBeUndefined();
  });

  it('lists the service keys an authority could name', () => {
    expect(candidateServiceKeys('payments.default.svc.cluster.local:80', DOMAIN)).toEqual([
      'default/payments',
    ]);
    expect(candidateServiceKeys('payments.default', DOMAIN)).toEqual(['default/payments']);
    expect(candidateServiceKeys('a.b.c', DOMAIN)).toEqual([]);
  });

  it('spells a service port every accepted way, the requested authority first', () => {
    expect(authorityAliases('payments.default:8080', aCatalogService(), 8080)).toEqual([
      'payments.default:8080',
      'payments.default',
      'payments.default.svc.cluster.local:8080',
      'payments.default.svc.cluster.local',
    ]);
  });
});
