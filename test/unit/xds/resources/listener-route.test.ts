import { describe, expect, it } from '@jest/globals';
import { ROUTER_FILTER_NAME, ROUTER_TYPE_URL, HCM_TYPE_URL } from '../../../../src/xds/resources/messages.js';
import { buildListener, statPrefixOf } from '../../../../src/xds/resources/listener.js';
import { buildRouteConfiguration, isValidDomain } from '../../../../src/xds/resources/route.js';

describe('buildListener (XDS.md §5 item 22)', () => {
  const listener = buildListener('payments.default:8080', 'payments.default:8080');
  const hcm = listener.api_listener.api_listener;

  it('is named by the authority, port included, with an HCM api_listener', () => {
    expect(listener.name).toBe('payments.default:8080');
    expect(hcm['@type']).toBe(HCM_TYPE_URL);
  });

  it('fetches its routes over ADS with v3 resources', () => {
    expect(hcm.rds).toEqual({
      config_source: { ads: {}, resource_api_version: 'V3' },
      route_config_name: 'payments.default:8080',
    });
  });

  it('ends its filters with the router, typed, and has no other filter', () => {
    expect(hcm.http_filters).toEqual([
      { name: ROUTER_FILTER_NAME, typed_config: { '@type': ROUTER_TYPE_URL } },
    ]);
    expect(hcm.http_filters.at(-1)?.typed_config['@type']).toBe(ROUTER_TYPE_URL);
  });

  it('has a non-empty stat prefix without separators', () => {
    expect(hcm.stat_prefix).toBe('payments_default_8080');
    expect(statPrefixOf('')).toBe('tributary');
  });
});

describe('buildRouteConfiguration (XDS.md §5 items 23-24)', () => {
  const cluster = 'outbound|8080||payments.default.svc.cluster.local';

  it('has one virtual host matching the authority exactly and one catch-all route to the cluster', () => {
    expect(buildRouteConfiguration('payments.default:8080', 'payments.default:8080', cluster)).toEqual({
      name: 'payments.default:8080',
      virtual_hosts: [
        {
          name: 'payments.default:8080',
          domains: ['payments.default:8080'],
          routes: [{ match: { prefix: '' }, route: { cluster } }],
        },
      ],
    });
  });

  it('adds aliases after the authority, once each, dropping invalid wildcards', () => {
    const route = buildRouteConfiguration('a:1', 'a:1', cluster, [
      'a',
      'a:1',
      'a.b.c',
      'x*y',
      '*.x',
      'x.*',
      '**',
    ]);
    expect(route.virtual_hosts[0]!.domains).toEqual(['a:1', 'a', 'a.b.c', '*.x', 'x.*']);
  });

  it.each([
    ['payments', true],
    ['*', true],
    ['*.svc', true],
    ['payments.*', true],
    ['pay*ments', false],
    ['*.payments.*', false],
    ['', false],
  ])('domain %j valid: %s', (domain, valid) => {
    expect(isValidDomain(domain)).toBe(valid);
  });
});
