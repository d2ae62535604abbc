/**
 * Record validation with precise messages: which field, which value, why. Pure; never throws.
 * A record with a bad service-level field is rejected whole; a bad endpoint is dropped alone.
 */
import { isIP } from 'node:net';
import { HEALTH_STATES, endpointAddressOf, type Endpoint } from './endpoint.js';
import { PROTOCOLS, type ServicePort, type ServiceRecord } from './service.js';
import { fieldPath, type ValidationResult } from './validation.js';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_KEY = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
export const MAX_WEIGHT = 1_000_000;
export const MAX_LABEL_VALUE = 1024;

/** True for a label key like Kubernetes': an optional DNS prefix and `/`, then a name of at most 63. */
export function isLabelKey(key: string): boolean {
  return key.length <= 317 && LABEL_KEY.test(key);
}

/** Checks a DNS-1123 label (service names, namespaces, port names). */
export function checkDnsLabel(value: unknown, path: string): string | undefined {
  if (typeof value !== 'string' || value === '') return `${path}: must be a non-empty string`;
  if (value.length > 63) return `${path}: "${value}" is longer than 63 characters`;
  if (!DNS_LABEL.test(value)) {
    return `${path}: "${value}" must be lowercase letters, digits and '-', starting and ending with a letter or digit`;
  }
  return undefined;
}

function checkPort(value: unknown, path: string): string | undefined {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 65535) {
    return `${path}: ${JSON.stringify(value)} is not a port number (1-65535)`;
  }
  return undefined;
}

/** Checks a label map: keys like Kubernetes label keys, string values. */
export function checkLabels(labels: unknown, path: string): string[] {
  if (labels === null || typeof labels !== 'object' || Array.isArray(labels))
    return [`${path}: must be a map of strings`];
  const errors: string[] = [];
  for (const [key, value] of Object.entries(labels)) {
    if (key.length > 317 || !LABEL_KEY.test(key))
      errors.push(`${path}: key "${key}" is not a valid label key`);
    if (typeof value !== 'string')
      errors.push(`${fieldPath(path, key)}: must be a string, got ${JSON.stringify(value)}`);
    else if (value.length > MAX_LABEL_VALUE)
      errors.push(`${fieldPath(path, key)}: longer than ${MAX_LABEL_VALUE} characters`);
  }
  return errors;
}

function checkServicePort(port: ServicePort, path: string): string[] {
  const errors: string[] = [];
  const bad = checkPort(port.number, fieldPath(path, 'number'));
  if (bad) errors.push(bad);
  const badName = checkDnsLabel(port.name, fieldPath(path, 'name'));
  if (badName) errors.push(badName);
  if (!(PROTOCOLS as readonly string[]).includes(port.protocol)) {
    errors.push(
      `${fieldPath(path, 'protocol')}: "${String(port.protocol)}" is not one of ${PROTOCOLS.join(', ')}`,
    );
  }
  return errors;
}

/** Validates one endpoint against the ports of its service. */
export function validateEndpoint(
  endpoint: Endpoint,
  servicePorts: ReadonlySet<number>,
  path: string,
): ValidationResult<Endpoint> {
  const errors: string[] = [];
  if (typeof endpoint.address !== 'string' || isIP(endpoint.address) === 0) {
    errors.push(
      `${fieldPath(path, 'address')}: ${JSON.stringify(endpoint.address)} is not an IPv4 or IPv6 address`,
    );
  }
  const badPort = checkPort(endpoint.port, fieldPath(path, 'port'));
  if (badPort) errors.push(badPort);
  if (!servicePorts.has(endpoint.servicePort)) {
    errors.push(
      `${fieldPath(path, 'servicePort')}: ${JSON.stringify(endpoint.servicePort)} is not a port of the service (${[...servicePorts].join(', ') || 'none'})`,
    );
  }
  if (!(HEALTH_STATES as readonly string[]).includes(endpoint.health)) {
    errors.push(
      `${fieldPath(path, 'health')}: "${String(endpoint.health)}" is not one of ${HEALTH_STATES.join(', ')}`,
    );
  }
  if (!Number.isInteger(endpoint.weight) || endpoint.weight < 1 || endpoint.weight > MAX_WEIGHT) {
    errors.push(
      `${fieldPath(path, 'weight')}: ${JSON.stringify(endpoint.weight)} must be an integer from 1 to ${MAX_WEIGHT}`,
    );
  }
  const locality = endpoint.locality as unknown;
  if (locality === null || typeof locality !== 'object')
    errors.push(`${fieldPath(path, 'locality')}: must be an object`);
  else {
    for (const part of ['region', 'zone', 'subzone'] as const) {
      if (typeof (locality as Record<string, unknown>)[part] !== 'string') {
        errors.push(`${fieldPath(path, 'locality', part)}: must be a string`);
      }
    }
  }
  errors.push(...checkLabels(endpoint.labels, fieldPath(path, 'labels')));
  if (typeof endpoint.instanceId !== 'string' || endpoint.instanceId === '') {
    errors.push(`${fieldPath(path, 'instanceId')}: must be a non-empty string`);
  }
  if (endpoint.origin !== undefined) {
    const bad =
      endpoint.origin === '' ? undefined : checkDnsLabel(endpoint.origin, fieldPath(path, 'origin'));
    if (bad) errors.push(bad);
  }
  return errors.length === 0 ? { valid: true, value: endpoint } : { valid: false, errors };
}

/** The outcome of checking one service record: the record to keep (bad endpoints removed) and every reason. */
export interface RecordCheck {
  readonly record: ServiceRecord | undefined;
  readonly errors: readonly string[];
}

/** Validates a service record; `record` is undefined when the service itself is unusable. */
export function validateServiceRecord(record: ServiceRecord, path: string): RecordCheck {
  const errors: string[] = [];
  for (const field of ['namespace', 'name'] as const) {
    const bad = checkDnsLabel(record[field], fieldPath(path, field));
    if (bad) errors.push(bad);
  }
  if (!Array.isArray(record.ports) || record.ports.length === 0) {
    errors.push(`${fieldPath(path, 'ports')}: a service needs at least one port`);
  } else {
    const numbers = new Set<number>();
    const names = new Set<string>();
    record.ports.forEach((port, i) => {
      errors.push(...checkServicePort(port, fieldPath(path, 'ports', i)));
      if (numbers.has(port.number))
        errors.push(`${fieldPath(path, 'ports', i, 'number')}: ${port.number} is listed twice`);
      if (names.has(port.name))
        errors.push(`${fieldPath(path, 'ports', i, 'name')}: "${port.name}" is listed twice`);
      numbers.add(port.number);
      names.add(port.name);
    });
  }
  errors.push(...checkLabels(record.labels, fieldPath(path, 'labels')));
  if (!Array.isArray(record.endpoints)) errors.push(`${fieldPath(path, 'endpoints')}: must be a list`);
  if (errors.length > 0) return { record: undefined, errors };

  const servicePorts = new Set(record.ports.map((p) => p.number));
  const kept: Endpoint[] = [];
  const seen = new Set<string>();
  record.endpoints.forEach((endpoint, i) => {
    const endpointPath = fieldPath(path, 'endpoints', i);
    const result = validateEndpoint(endpoint, servicePorts, endpointPath);
    if (!result.valid) {
      errors.push(...result.errors);
      return;
    }
    // Same identity as the merge (catalog/union.ts): one network's address:port per service port.
    const key = `${endpoint.servicePort}|${endpoint.network}|${endpoint.address}|${endpoint.port}`;
    if (seen.has(key)) {
      const network = endpoint.network === '' ? '' : ` on network "${endpoint.network}"`;
      errors.push(
        `${endpointPath}: ${endpointAddressOf(endpoint)}${network} is listed twice for port ${endpoint.servicePort}`,
      );
      return;
    }
    seen.add(key);
    kept.push(endpoint);
  });
  return {
    record: kept.length === record.endpoints.length ? record : { ...record, endpoints: kept },
    errors,
  };
}
