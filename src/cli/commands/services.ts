/**
 * `tributary services [--api url] [--namespace ns] [--selector s] [--watch]`: the catalog's
 * services as a table; with `--watch`, re-printed on every change (blocking queries) until SIGINT.
 */
import type { Command } from 'commander';
import type { ServiceListBody, ServiceSummary } from '../../api/render.js';
import type { ServicePort } from '../../model/service.js';
import { createApiClient, watchBlocking, type QueryParams } from '../api-client.js';
import { formatTable } from '../table.js';
import { defaultApiUrl, processIo, runAction, type CommandIo } from './io.js';

/** Options of `tributary services`. */
export interface ServicesOptions {
  readonly api: string;
  readonly namespace?: string;
  readonly selector?: string;
  readonly watch?: boolean;
}

const HEADERS = ['NAMESPACE', 'NAME', 'PORTS', 'ENDPOINTS', 'HEALTHY', 'SOURCES', 'STALE'];
const CLEAR_SCREEN = '\x1b[H\x1b[2J';

/** `8080/http,9090/grpc`: service port numbers with their protocols. */
export function formatPorts(ports: readonly ServicePort[]): string {
  return ports.map((port) => `${port.number}/${port.protocol}`).join(',');
}

function rowOf(service: ServiceSummary) {
  return [
    service.namespace,
    service.name,
    formatPorts(service.ports),
    service.endpoints,
    service.healthy,
    service.sources.join(','),
    service.stale,
  ];
}

/** The services table for one answer of `GET /v1/services`. */
export function formatServiceList(body: ServiceListBody): string {
  return formatTable(HEADERS, body.services.map(rowOf));
}

async function printServices(io: CommandIo, options: ServicesOptions): Promise<void> {
  const client = createApiClient(options.api, io.fetch);
  const query: QueryParams = { namespace: options.namespace, selector: options.selector };
  if (!options.watch) {
    const { body } = await client.get<ServiceListBody>('/v1/services', query);
    io.out(formatServiceList(body));
    return;
  }
  const { signal, dispose } = io.interrupt();
  try {
    let first = true;
    for await (const { body } of watchBlocking<ServiceListBody>(client, '/v1/services', query, { signal })) {
      const separator = io.interactive ? CLEAR_SCREEN : first ? '' : '\n';
      io.out(`${separator}${formatServiceList(body)}`);
      first = false;
    }
  } finally {
    dispose();
  }
}

/** Adds `services` to `program`. */
export function registerServicesCommand(program: Command, io: CommandIo = processIo()): Command {
  return program
    .command('services')
    .description('list the services in the catalog')
    .option('--api <url>', 'Tributary REST API (env TRIBUTARY_API)', defaultApiUrl(io))
    .option('-n, --namespace <namespace>', 'only this namespace')
    .option('-l, --selector <selector>', 'label selector, Kubernetes syntax (e.g. "team=pay,tier in (a,b)")')
    .option('-w, --watch', 'print again on every change until interrupted')
    .action((options: ServicesOptions) => runAction(io, () => printServices(io, options)));
}
