/**
 * `tributary service <namespace>/<name> [--api url]`: one service's header (hostname, ports,
 * labels, sources, revision) and its endpoints as a table.
 */
import type { Command } from 'commander';
import type { EndpointJson, ServiceJson } from '../../api/render.js';
import type { Locality } from '../../model/endpoint.js';
import { createApiClient } from '../api-client.js';
import { formatTable } from '../table.js';
import { defaultApiUrl, processIo, runAction, type CommandIo } from './io.js';

/** Options of `tributary service`. */
export interface ServiceOptions {
  readonly api: string;
}

const HEADERS = ['ADDRESS', 'PORT', 'SERVICE-PORT', 'HEALTH', 'WEIGHT', 'LOCALITY', 'SOURCE', 'STALE'];

/** Splits `namespace/name`; throws a readable error for anything else. */
export function parseServiceRef(ref: string): { namespace: string; name: string } {
  const match = /^([^/\s]+)\/([^/\s]+)$/.exec(ref);
  if (!match?.[1] || !match[2]) throw new Error(`expected <namespace>/<name>, got "${ref}"`);
  return { namespace: match[1], name: match[2] };
}

/** `region/zone/subzone` without trailing empty parts; empty when nothing is known. */
export function formatLocality(locality: Locality): string {
  return [locality.region, locality.zone, locality.subzone].join('/').replace(/\/+$/, '');
}

function sourceOf(endpoint: EndpointJson): string {
  const others = endpoint.origins.length - 1;
  return others > 0 ? `${endpoint.sourceId} (+${others})` : endpoint.sourceId;
}

function rowOf(endpoint: EndpointJson) {
  return [
    endpoint.address,
    endpoint.port,
    endpoint.servicePort,
    endpoint.health,
    endpoint.weight,
    formatLocality(endpoint.locality),
    sourceOf(endpoint),
    endpoint.stale,
  ];
}

/** The header lines and endpoint table of one service. */
export function formatServiceDetail(service: ServiceJson): string {
  const labels = Object.entries(service.labels).map(([key, value]) => `${key}=${value}`);
  const fields: [string, string][] = [
    ['Service', `${service.namespace}/${service.name}`],
    ['Hostname', service.hostname],
    ['Ports', service.ports.map((p) => `${p.name}:${p.number}/${p.protocol}`).join(', ')],
    ['Labels', labels.join(', ') || '-'],
    ['Sources', service.sources.join(', ') || '-'],
    ['Revision', String(service.revision)],
  ];
  const header = fields.map(([key, value]) => `${`${key}:`.padEnd(10)}${value}\n`).join('');
  const endpoints =
    service.endpoints.length === 0 ? 'No endpoints.\n' : formatTable(HEADERS, service.endpoints.map(rowOf));
  return `${header}\n${endpoints}`;
}

async function printService(io: CommandIo, ref: string, options: ServiceOptions): Promise<void> {
  const { namespace, name } = parseServiceRef(ref);
  const client = createApiClient(options.api, io.fetch);
  const path = `/v1/services/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`;
  const { body } = await client.get<ServiceJson>(path);
  io.out(formatServiceDetail(body));
}

/** Adds `service <namespace>/<name>` to `program`. */
export function registerServiceCommand(program: Command, io: CommandIo = processIo()): Command {
  return program
    .command('service')
    .description('show one service and its endpoints')
    .argument('<namespace/name>', 'the service, e.g. shop/payments')
    .option('--api <url>', 'Tributary REST API (env TRIBUTARY_API)', defaultApiUrl(io))
    .action((ref: string, options: ServiceOptions) => runAction(io, () => printService(io, ref, options)));
}
