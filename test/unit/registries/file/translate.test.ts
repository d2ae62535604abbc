import { describe, expect, it } from '@jest/globals';
import { translateVmFile } from '../../../../registries/file/translate.js';
import { anEndpoint } from '../../../support/builders.js';

const NO_LOCALITY = { region: '', zone: '', subzone: '' };

/** Joins lines so that line numbers in expected messages can be read off the array index + 1. */
function yaml(...lines: string[]): string {
  return lines.join('\n') + '\n';
}

function errorsOf(text: string, file = 'vms/payments.yaml'): string[] {
  const result = translateVmFile(text, file);
  if (result.valid) throw new Error(`expected errors, got ${JSON.stringify(result.value)}`);
  return result.errors;
}

const PAYMENTS = yaml(
  'services:', //                                              1
  '  - name: payments', //                                      2
  '    ports:', //                                                3
  '      - { number: 8080, name: http, protocol: http }', //       4
  '      - { number: 9090, name: metrics }', //                    5
  '    endpoints:', //                                            6
  '      - address: 10.0.1.11', //                                7
  '        ports: { http: 18080 }', //                            8
  '      - address: 10.0.2.11', //                                9
);

describe('translateVmFile', () => {
  it('fills every default: namespace, port name and protocol, health, weight, locality, instance id', () => {
    const text = yaml(
      'services:',
      '  - name: cache',
      '    ports: [{ number: 6379 }]',
      '    endpoints:',
      '      - address: 10.0.5.1',
    );
    expect(translateVmFile(text, '/etc/tributary/vms/cache.yaml')).toEqual({
      valid: true,
      value: [
        {
          namespace: 'default',
          name: 'cache',
          ports: [{ number: 6379, name: 'port-6379', protocol: 'tcp' }],
          labels: {},
          endpoints: [
            anEndpoint({
              address: '10.0.5.1',
              port: 6379,
              servicePort: 6379,
              locality: NO_LOCALITY,
              instanceId: 'cache.yaml/10.0.5.1',
            }),
          ],
        },
      ],
    });
  });

  it('expands each VM into one endpoint per service port, mapping target ports by port name', () => {
    const result = translateVmFile(PAYMENTS, 'payments.yaml');
    expect(result.valid).toBe(true);
    const endpoints = result.valid ? result.value[0]!.endpoints : [];
    expect(endpoints.map((e) => [e.address, e.servicePort, e.port])).toEqual([
      ['10.0.1.11', 8080, 18080],
      ['10.0.1.11', 9090, 9090],
      ['10.0.2.11', 8080, 8080],
      ['10.0.2.11', 9090, 9090],
    ]);
  });

  it('carries every optional field of a VM onto its endpoints', () => {
    const text = yaml(
      'services:',
      '  - namespace: shop',
      '    name: inventory',
      '    labels: { team: fulfilment }',
      '    ports: [{ number: 50051, name: grpc, protocol: grpc }]',
      '    endpoints:',
      '      - address: "2001:db8::21"',
      '        id: vm-inventory-1',
      '        health: draining',
      '        weight: 3',
      '        locality: { region: eu-west-1, zone: eu-west-1a, subzone: rack-7 }',
      '        labels: { version: v3 }',
      '        cluster: dc1',
      '        network: lan-a',
    );
    const result = translateVmFile(text, 'inventory.yaml');
    expect(result).toEqual({
      valid: true,
      value: [
        {
          namespace: 'shop',
          name: 'inventory',
          ports: [{ number: 50051, name: 'grpc', protocol: 'grpc' }],
          labels: { team: 'fulfilment' },
          endpoints: [
            {
              address: '2001:db8::21',
              port: 50051,
              servicePort: 50051,
              health: 'draining',
              weight: 3,
              locality: { region: 'eu-west-1', zone: 'eu-west-1a', subzone: 'rack-7' },
              labels: { version: 'v3' },
              instanceId: 'vm-inventory-1',
              cluster: 'dc1',
              network: 'lan-a',
            },
          ],
        },
      ],
    });
  });

  it('reads JSON files, since JSON is YAML', () => {
    const json = JSON.stringify(
      { services: [{ name: 'billing', ports: [{ number: 7000 }], endpoints: [] }] },
      null,
      2,
    );
    expect(translateVmFile(json, 'billing.json')).toEqual({
      valid: true,
      value: [
        {
          namespace: 'default',
          name: 'billing',
          ports: [{ number: 7000, name: 'port-7000', protocol: 'tcp' }],
          labels: {},
          endpoints: [],
        },
      ],
    });
  });

  it('accepts a file with no services', () => {
    expect(translateVmFile('services: []\n', 'empty.yaml')).toEqual({ valid: true, value: [] });
  });
});

describe('translateVmFile errors: file:line:col: path: reason', () => {
  it('points an unknown field at its key', () => {
    const text = PAYMENTS.replace('        ports: { http: 18080 }', '        adress: 10.0.1.12');
    expect(errorsOf(text)).toEqual(['vms/payments.yaml:8:9: services[0].endpoints[0].adress: unknown field']);
  });

  it('points a missing field at the map that lacks it', () => {
    const text = yaml('services:', '  - name: payments', '    endpoints: []');
    expect(errorsOf(text)).toEqual(['vms/payments.yaml:2:5: services[0].ports: is required']);
  });

  it('names the expected and the actual type', () => {
    const text = PAYMENTS.replace('number: 8080,', 'number: "8080",').replace('http: 18080', 'http: [18080]');
    expect(errorsOf(text)).toEqual([
      'vms/payments.yaml:4:19: services[0].ports[0].number: must be a number, got "8080"',
      'vms/payments.yaml:8:24: services[0].endpoints[0].ports.http: must be a number, got a list',
    ]);
  });

  it('rejects a target port for a port name the service does not have', () => {
    const text = PAYMENTS.replace('{ http: 18080 }', '{ http: 18080, admin: 9443 }');
    expect(errorsOf(text)).toEqual([
      'vms/payments.yaml:8:31: services[0].endpoints[0].ports.admin: "admin" is not a port of the service (http, metrics)',
    ]);
  });

  it('reports a bad VM once, at the field as written, not once per expanded port', () => {
    const text = PAYMENTS.replace('address: 10.0.2.11', 'address: 10.0.2.x');
    expect(errorsOf(text)).toEqual([
      'vms/payments.yaml:9:18: services[0].endpoints[1].address: "10.0.2.x" is not an IPv4 or IPv6 address',
    ]);
  });

  it('maps endpoint fields back to the VM fields they came from', () => {
    const text = yaml(
      'services:',
      '  - name: payments',
      '    ports: [{ number: 8080, name: http }]',
      '    endpoints:',
      '      - address: 10.0.1.11',
      '        id: ""',
      '        ports: { http: 70000 }',
      '        health: sick',
      '        weight: 0',
      '        labels: { "bad key!": x }',
    );
    expect(errorsOf(text)).toEqual([
      'vms/payments.yaml:6:13: services[0].endpoints[0].id: must be a non-empty string',
      'vms/payments.yaml:7:24: services[0].endpoints[0].ports.http: 70000 is not a port number (1-65535)',
      'vms/payments.yaml:8:17: services[0].endpoints[0].health: "sick" is not one of healthy, unhealthy, draining, unknown',
      'vms/payments.yaml:9:17: services[0].endpoints[0].weight: 0 must be an integer from 1 to 1000000',
      'vms/payments.yaml:10:17: services[0].endpoints[0].labels: key "bad key!" is not a valid label key',
    ]);
  });

  it('reports service-level problems from the model validation', () => {
    const text = PAYMENTS.replace('name: payments', 'name: Payments_API').replace(
      'protocol: http }',
      'protocol: htp }',
    );
    expect(errorsOf(text)).toEqual([
      `vms/payments.yaml:2:11: services[0].name: "Payments_API" must be lowercase letters, digits and '-', starting and ending with a letter or digit`,
      'vms/payments.yaml:4:47: services[0].ports[0].protocol: "htp" is not one of http, http2, grpc, https, tls, tcp, udp',
    ]);
  });

  it('rejects a VM listed twice for the same service port', () => {
    const text = PAYMENTS.replace('address: 10.0.2.11', 'address: 10.0.1.11');
    expect(errorsOf(text)).toEqual([
      'vms/payments.yaml:9:9: services[0].endpoints[1]: 10.0.1.11:9090 is listed twice for port 9090',
    ]);
  });

  it('rejects a service defined twice in one file, at the second', () => {
    const text =
      PAYMENTS + yaml('  - namespace: default', '    name: payments', '    ports: [{ number: 80 }]');
    expect(errorsOf(text)).toEqual([
      'vms/payments.yaml:11:11: services[1].name: "default/payments" is already defined by services[0]',
    ]);
  });

  it('reports YAML syntax errors with the path they occur in', () => {
    const text = PAYMENTS.replace(
      '      - address: 10.0.2.11',
      '      - address: 10.0.2.11\n        address: 10.0.2.12',
    );
    expect(errorsOf(text)).toEqual([
      'vms/payments.yaml:10:9: services[0].endpoints[1].address: Map keys must be unique',
    ]);
  });

  it('treats an empty file as an error, so a half-written file never empties the source', () => {
    expect(errorsOf('', 'vms/new.yaml')).toEqual(['vms/new.yaml:1:1: services: is required']);
  });

  it('reports a document that is not a map at its start', () => {
    expect(errorsOf('\n[1, 2]\n', 'vms/list.json')).toEqual([
      'vms/list.json:2:1: (root): must be a map, got a list',
    ]);
  });

  it('reports a key repeated in a JSON file, which JSON.parse alone would let pass', () => {
    const json = yaml(
      '{',
      '  "services": [',
      '    { "name": "a", "name": "b", "ports": [{ "number": 80 }] }',
      '  ]',
      '}',
    );
    expect(errorsOf(json, 'vms/twice.json')).toEqual([
      'vms/twice.json:3:20: services[0].name: Map keys must be unique',
    ]);
  });

  it('locates a JSON syntax error', () => {
    const json = yaml('{', '  "services": [', '    { "name": "a", "ports": [] },', '  ]', '  "x": 1', '}');
    expect(errorsOf(json, 'vms/broken.json')[0]).toMatch(/^vms\/broken\.json:5:3: /);
  });

  it('gives JSON files the same positions', () => {
    const json = yaml(
      '{',
      '  "services": [',
      '    {',
      '      "name": "billing",',
      '      "ports": [{ "number": 7000 }],',
      '      "endpoints": [{ "address": "192.168.40.x" }]',
      '    }',
      '  ]',
      '}',
    );
    expect(errorsOf(json, 'vms/billing.json')).toEqual([
      'vms/billing.json:6:34: services[0].endpoints[0].address: "192.168.40.x" is not an IPv4 or IPv6 address',
    ]);
  });
});
