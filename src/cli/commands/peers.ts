/**
 * `tributary peers [--api url]`: federation at a glance, read from /v1/peers. One row per peer this
 * daemon imports from (state, the peer's revision applied here, its head, lag, counts) and one per
 * peer it exports to (open watch streams and the revision last sent).
 */
import type { Command } from 'commander';
import type { PeersJson } from '../../api/routes/peers.js';
import { createApiClient } from '../api-client.js';
import { formatTable } from '../table.js';
import { defaultApiUrl, processIo, runAction, type CommandIo } from './io.js';

function ago(ms: number | null): string {
  if (ms === null) return '-';
  return ms < 1000 ? `${ms}ms` : `${Math.round(ms / 1000)}s`;
}

/** The two tables. */
export function formatPeers(peers: PeersJson): string {
  let out = '';
  if (peers.imports.length === 0) out += 'No peer sources (imports).\n';
  else {
    out += formatTable(
      [
        'IMPORT',
        'SOURCE',
        'STATE',
        'CONNECTED',
        'REVISION',
        'HEAD',
        'LAG',
        'LAST EVENT',
        'SERVICES',
        'ENDPOINTS',
      ],
      peers.imports.map((p) => [
        p.peer,
        p.source,
        p.stale ? `${p.state} (stale)` : p.state,
        p.connected ? 'yes' : 'no',
        p.epoch === '' ? '-' : String(p.revision),
        String(p.headRevision),
        String(p.lagRevisions),
        ago(p.lastEventAgoMs),
        String(p.services),
        String(p.endpoints),
      ]),
    );
    const errors = peers.imports.filter((p) => p.lastError !== null);
    for (const p of errors) out += `  ${p.peer}: ${p.lastError}\n`;
  }
  out += '\n';
  if (peers.exports.length === 0) out += 'No export policy (federation.exports is empty).\n';
  else {
    out += formatTable(
      ['EXPORT', 'STREAMS', 'REVISION', 'SERVICES', 'REMOTE'],
      peers.exports.map((e) => [
        e.peer,
        String(e.streams.length),
        e.streams.length === 0 ? '-' : String(Math.max(...e.streams.map((s) => s.revision))),
        e.streams.length === 0 ? '-' : String(Math.max(...e.streams.map((s) => s.services))),
        e.streams.map((s) => `${s.transport} ${s.remote}`).join(', ') || '-',
      ]),
    );
  }
  return out;
}

async function printPeers(io: CommandIo, options: { api: string }): Promise<void> {
  const client = createApiClient(options.api, io.fetch);
  const { body } = await client.get<PeersJson>('/v1/peers');
  io.out(formatPeers(body));
}

/** Adds `peers` to `program`. */
export function registerPeersCommand(program: Command, io: CommandIo = processIo()): Command {
  return program
    .command('peers')
    .description('show each federation peer: import state, revision, lag and counts; export streams')
    .option('--api <url>', 'Tributary REST API (env TRIBUTARY_API)', defaultApiUrl(io))
    .action((options: { api: string }) => runAction(io, () => printPeers(io, options)));
}
