import { describe, expect, it } from '@jest/globals';
import { LB_POLICY_LABEL, buildCluster, lbPolicyOf } from '../../../../src/xds/resources/cluster.js';
import { aCatalogService } from '../../../fakes/catalog.js';

describe('buildCluster', () => {
  it('builds an EDS cluster fed over ADS with v3 resources, named after the service port (XDS.md §5 items 25, 28)', () => {
    expect(buildCluster(aCatalogService(), 8080)).toEqual({
      name: 'outbound|8080||payments.default.svc.cluster.local',
      type: 'EDS',
      eds_cluster_config: { eds_config: { ads: {}, resource_api_version: 'V3' } },
      connect_timeout: { seconds: 5 },
      lb_policy: 'ROUND_ROBIN',
      common_lb_config: { locality_weighted_lb_config: {} },
    });
  });

  it('leaves service_name empty, so the EDS resource name is the cluster name', () => {
    expect(buildCluster(aCatalogService(), 8080).eds_cluster_config).not.toHaveProperty('service_name');
  });

  it.each([
    ['LEAST_REQUEST', 'LEAST_REQUEST'],
    ['ring_hash', 'RING_HASH'],
    [' Maglev ', 'MAGLEV'],
    ['RANDOM', 'RANDOM'],
    ['ROUND_ROBIN', 'ROUND_ROBIN'],
    ['CLUSTER_PROVIDED', 'ROUND_ROBIN'],
    ['fastest', 'ROUND_ROBIN'],
    ['', 'ROUND_ROBIN'],
  ])('label %j chooses lb_policy %s', (value, policy) => {
    expect(lbPolicyOf({ [LB_POLICY_LABEL]: value })).toBe(policy);
    expect(buildCluster(aCatalogService({ labels: { [LB_POLICY_LABEL]: value } }), 8080).lb_policy).toBe(
      policy,
    );
  });

  it('publishes the service labels, keys sorted, as filter_metadata["tributary"]', () => {
    const cluster = buildCluster(aCatalogService({ labels: { team: 'pay', app: 'payments' } }), 8080);
    expect(cluster.metadata).toEqual({
      filter_metadata: {
        tributary: { fields: { app: { stringValue: 'payments' }, team: { stringValue: 'pay' } } },
      },
    });
    expect(Object.keys(cluster.metadata!.filter_metadata.tributary!.fields)).toEqual(['app', 'team']);
  });

  it('says nothing about the sources of the service', () => {
    const json = JSON.stringify(buildCluster(aCatalogService({ sources: ['consul/dc1'] }), 8080));
    expect(json).not.toContain('consul/dc1');
  });
});
