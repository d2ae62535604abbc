/**
 * `tributary proxy-status [--api url]`: every connected proxy and, per xDS type, whether it holds
 * what was last sent (like `istioctl proxy-status`), read from /debug/syncz.
 */
import type { Command } from 'commander';
import type { StreamSnapshot } from '../../xds/stream-registry.js';
import type { SubscriptionStatus } from '../../xds/subscription.js';
import { TYPE_URLS } from '../../xds/types.js';
import { createApiClient } from '../api-client.js';
import { formatTable } from '../table.js';
import { defaultApiUrl, processIo, runAction, type CommandIo } from './io.js';

const HEADERS = ['NODE', 'USER-AGENT', 'STREAM', 'CDS', 'EDS', 'LDS', 'RDS', 'VERSION'];
const COLUMNS = [TYPE_URLS.cluster, TYPE_URLS.endpoint, TYPE_URLS.listener, TYPE_URLS.route];

/**
 * SYNCED: the last response was ACKed; NACKED: it was rejected (the proxy keeps its last good
 * config); STALE: sent, no answer yet; NOT SENT: subscribed, nothing sent; '-': not subscribed.
 */
export function syncState(status: SubscriptionStatus | undefined): string {
  if (status === undefined) return '-';
  if (status.lastSentNonce === null) return 'NOT SENT';
  if (status.lastNack !== null && status.lastNack.nonce === status.lastSentNonce) return 'NACKED';
  if (status.ackedVersion !== null && status.ackedVersion === status.lastSentVersion) return 'SYNCED';
  return 'STALE';
}

/** One row per stream. */
export function formatProxyStatus(streams: readonly StreamSnapshot[]): string {
  if (streams.length === 0) return 'No proxies connected.\n';
  const rows = streams.map((s) => {
    const byType = new Map(s.types.map((t) => [t.typeUrl as string, t]));
    const versions = s.types.map((t) => t.lastSentVersion).filter((v): v is string => v !== null);
    const newest = versions.sort().at(-1) ?? '-';
    return [
      s.nodeId || '(no node yet)',
      s.userAgent || '-',
      `${s.kind}${s.ads ? '/ads' : ''}`,
      ...COLUMNS.map((type) => syncState(byType.get(type))),
      newest,
    ];
  });
  return formatTable(HEADERS, rows);
}

async function printProxyStatus(io: CommandIo, options: { api: string }): Promise<void> {
  const client = createApiClient(options.api, io.fetch);
  const { body } = await client.get<{ streams: StreamSnapshot[] }>('/debug/syncz');
  io.out(formatProxyStatus(body.streams));
}

/** Adds `proxy-status` to `program`. */
export function registerProxyStatusCommand(program: Command, io: CommandIo = processIo()): Command {
  return program
    .command('proxy-status')
    .description('show every connected xDS proxy and whether it holds the latest config')
    .option('--api <url>', 'Tributary REST API (env TRIBUTARY_API)', defaultApiUrl(io))
    .action((options: { api: string }) => runAction(io, () => printProxyStatus(io, options)));
}
