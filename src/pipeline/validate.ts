/**
 * Pure: one SourceEvent → what the catalog may keep, plus every reason something was dropped.
 * An invalid record is dropped with its reason; the valid records of the same event are kept.
 */
import { validateServiceRecord } from '../model/validate.js';
import { serviceKeyOf, type ServiceRecord } from '../model/service.js';
import { checkDnsLabel } from '../model/validate.js';
import type { SourceEvent, StatusEvent } from '../registry.js';
import { canonicalAddress, canonicalRecord } from './normalize.js';

/** A checked event: records canonical, rejected keys listed, reasons per service key. */
export type CheckedEvent =
  | {
      readonly type: 'snapshot';
      readonly services: ReadonlyMap<string, ServiceRecord>;
      /** Keys named by the snapshot whose records were rejected whole: keep their last good state. */
      readonly keep: ReadonlySet<string>;
      readonly errors: ReadonlyMap<string, readonly string[]>;
    }
  | {
      readonly type: 'upsert';
      readonly key: string;
      /** undefined when the record was rejected whole: nothing changes for that service. */
      readonly record: ServiceRecord | undefined;
      readonly errors: ReadonlyMap<string, readonly string[]>;
    }
  | { readonly type: 'delete'; readonly key: string; readonly errors: ReadonlyMap<string, readonly string[]> }
  | { readonly type: 'status'; readonly status: StatusEvent };

function keyOf(record: ServiceRecord, index: number): string {
  const ns = typeof record?.namespace === 'string' ? record.namespace : `?${index}`;
  const name = typeof record?.name === 'string' ? record.name : `?${index}`;
  return serviceKeyOf({ namespace: ns, name });
}

/**
 * Addresses in canonical form before validation, so two spellings of one IPv6 address are caught as
 * a duplicate endpoint instead of reaching the catalog twice.
 */
function withCanonicalAddresses(record: ServiceRecord): ServiceRecord {
  if (!Array.isArray(record?.endpoints)) return record;
  return {
    ...record,
    endpoints: record.endpoints.map((e) =>
      typeof e?.address === 'string' ? { ...e, address: canonicalAddress(e.address) } : e,
    ),
  };
}

/** Validates and canonicalizes one event from one source. */
export function checkEvent(event: SourceEvent): CheckedEvent {
  switch (event.type) {
    case 'status':
      return { type: 'status', status: event };
    case 'delete': {
      const key = serviceKeyOf(event);
      return { type: 'delete', key, errors: new Map([[key, []]]) };
    }
    case 'upsert': {
      const key = keyOf(event.service, 0);
      const check = validateServiceRecord(withCanonicalAddresses(event.service), key);
      return {
        type: 'upsert',
        key,
        record: check.record && canonicalRecord(check.record),
        errors: new Map([[key, check.errors]]),
      };
    }
    case 'snapshot':
      return checkSnapshot(event.services);
  }
}

function checkSnapshot(records: readonly ServiceRecord[]): CheckedEvent {
  const services = new Map<string, ServiceRecord>();
  const keep = new Set<string>();
  const errors = new Map<string, string[]>();
  records.forEach((record, i) => {
    const key = keyOf(record, i);
    const path = `services[${i}]`;
    if (services.has(key)) {
      errors.set(key, [
        ...(errors.get(key) ?? []),
        `${path}: service ${key} is listed twice; the first is kept`,
      ]);
      return;
    }
    const check = validateServiceRecord(withCanonicalAddresses(record), path);
    if (check.errors.length > 0) errors.set(key, [...(errors.get(key) ?? []), ...check.errors]);
    if (check.record) services.set(key, canonicalRecord(check.record));
    else if (
      checkDnsLabel(record?.namespace, 'n') === undefined &&
      checkDnsLabel(record?.name, 'n') === undefined
    ) {
      keep.add(key);
    }
  });
  return { type: 'snapshot', services, keep, errors };
}
