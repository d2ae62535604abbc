import { describe, expect, it } from '@jest/globals';
import { buildView } from '../../../src/catalog/view-builder.js';
import { aCatalogState, aServiceRecord, aSourceRuntime, anEndpoint } from '../../support/builders.js';

describe('buildView', () => {
  it('counts the services and endpoints each source reports and names the version', () => {
    const record = aServiceRecord({
      endpoints: [anEndpoint({ address: '10.0.0.1' }), anEndpoint({ address: '10.0.0.2' })],
    });
    const state = aCatalogState([aSourceRuntime('file/vms'), aSourceRuntime('consul/dc1')], {
      revision: 12,
      records: new Map([
        ['file/vms', new Map([['default/payments', { record, json: JSON.stringify(record) }]])],
      ]),
    });
    const view = buildView(state);
    expect(view.version).toBe('0badcafe-12');
    expect(view.sources.get('file/vms')).toMatchObject({ services: 1, endpoints: 2 });
    expect(view.sources.get('consul/dc1')).toMatchObject({ services: 0, endpoints: 0 });
  });

  it('leaves out sources that are no longer configured', () => {
    const state = aCatalogState([
      aSourceRuntime('file/vms'),
      aSourceRuntime('file/old', { configured: false }),
    ]);
    expect([...buildView(state).sources.keys()]).toEqual(['file/vms']);
  });

  it('flattens record errors and keeps at most 50', () => {
    const many = Array.from({ length: 60 }, (_, i) => `services[${i}].name: bad`);
    const state = aCatalogState([
      aSourceRuntime('file/vms', {
        recordErrors: new Map([
          ['default/a', ['a: one', 'a: two']],
          ['default/b', many],
        ]),
      }),
    ]);
    const errors = buildView(state).sources.get('file/vms')?.recordErrors;
    expect(errors).toHaveLength(50);
    expect(errors?.slice(0, 3)).toEqual(['a: one', 'a: two', 'services[0].name: bad']);
  });
});
