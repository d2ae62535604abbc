/**
 * VM-side registration commands, for scripts and a VM's systemd unit
 * (examples/tributary-heartbeat.service):
 * `tributary register --id --service --address --port … [--token | $TRIBUTARY_TOKEN]`,
 * `tributary deregister <id>` and `tributary heartbeat <id> [--loop --interval 5s]`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import type { RegistrationJson } from '../../api/registration-json.js';
import { parseDuration } from '../../config/duration.js';
import { ApiClientError, createApiClient, type ApiClient } from '../api-client.js';
import { defaultApiUrl, processIo, runAction, type CommandIo } from './io.js';

/** Options every write command takes. */
interface WriteOptions {
  readonly api: string;
  readonly token?: string;
}

/** Options of `tributary register`. */
export interface RegisterOptions extends WriteOptions {
  readonly id: string;
  readonly service: string;
  readonly namespace: string;
  readonly address: string;
  readonly port: readonly string[];
  readonly ttl?: string;
  readonly grace?: string;
  readonly label: readonly string[];
  readonly weight?: string;
  readonly region?: string;
  readonly zone?: string;
}

/** Options of `tributary heartbeat`. */
export interface HeartbeatOptions extends WriteOptions {
  readonly status?: string;
  readonly note?: string;
  readonly loop?: boolean;
  readonly interval: string;
  readonly maxFailures: string;
}

const PORT_SPEC = /^(?:([a-z0-9]([-a-z0-9]*[a-z0-9])?)=)?(\d{1,5})(?:\/([a-z0-9]+))?$/;
/** Failures that retrying cannot fix: the loop stops on them (systemd then restarts the unit). */
const PERMANENT = new Set([400, 401, 403, 404, 409]);

/** `8080`, `http=8080` or `http=8080/http` → a port of the native API body. */
export function parsePortSpec(spec: string): { name?: string; number: number; protocol?: string } {
  const match = PORT_SPEC.exec(spec.trim());
  if (!match)
    throw new Error(`--port: "${spec}" is not [name=]number[/protocol] (like 8080 or http=8080/http)`);
  return {
    ...(match[1] ? { name: match[1] } : {}),
    number: Number(match[3]),
    ...(match[4] ? { protocol: match[4] } : {}),
  };
}

/** `k=v` → [k, v]. */
export function parseLabel(spec: string): [string, string] {
  const eq = spec.indexOf('=');
  if (eq <= 0) throw new Error(`--label: "${spec}" is not key=value`);
  return [spec.slice(0, eq), spec.slice(eq + 1)];
}

/** The native API body of `tributary register`'s options. */
export function registrationBodyOf(options: RegisterOptions): Record<string, unknown> {
  if (options.port.length === 0) throw new Error('--port: give at least one port');
  const locality =
    options.region || options.zone ? { region: options.region ?? '', zone: options.zone ?? '' } : undefined;
  return {
    service: options.service,
    namespace: options.namespace,
    address: options.address,
    ports: options.port.map(parsePortSpec),
    labels: Object.fromEntries(options.label.map(parseLabel)),
    ...(locality ? { locality } : {}),
    ...(options.weight !== undefined ? { weight: Number(options.weight) } : {}),
    ...(options.ttl !== undefined ? { ttl: options.ttl } : {}),
    ...(options.grace !== undefined ? { grace: options.grace } : {}),
  };
}

function tokenOf(io: CommandIo, options: WriteOptions): string | undefined {
  return options.token || io.env['TRIBUTARY_TOKEN'] || undefined;
}

const idPath = (id: string): string => `/v1/registrations/${encodeURIComponent(id)}`;

function durationOption(name: string, text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0) throw new Error(`--${name}: "${text}" is not a duration (like 5s)`);
  return ms;
}

async function register(io: CommandIo, options: RegisterOptions): Promise<void> {
  const client = createApiClient(options.api, io.fetch);
  const body = registrationBodyOf(options);
  const registration = await client.send<RegistrationJson>(idPath(options.id), {
    method: 'PUT',
    body,
    token: tokenOf(io, options),
  });
  const ports = registration?.ports.map((p) => `${p.name}=${p.number}/${p.protocol}`).join(', ') ?? '';
  io.out(
    `registered ${options.id}: ${options.namespace}/${options.service} at ${options.address} (${ports}); ttl ${registration?.ttlMs ?? '?'} ms\n`,
  );
}

async function deregister(io: CommandIo, id: string, options: WriteOptions): Promise<void> {
  const client = createApiClient(options.api, io.fetch);
  await client.send(idPath(id), { method: 'DELETE', token: tokenOf(io, options) });
  io.out(`deregistered ${id}\n`);
}

async function sendHeartbeat(
  client: ApiClient,
  id: string,
  body: Record<string, string>,
  token: string | undefined,
  signal?: AbortSignal,
): Promise<RegistrationJson | undefined> {
  return client.send<RegistrationJson>(`${idPath(id)}/heartbeat`, { method: 'PUT', body, token, signal });
}

/** Sleeps unless aborted; false when the signal stopped it. */
async function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  try {
    await sleep(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}

/**
 * The loop of a VM's heartbeat unit: one heartbeat per interval until SIGTERM/SIGINT. Transient
 * failures (unreachable, 5xx, 429) are retried with capped exponential backoff (429 waits for its
 * Retry-After); a permanent one (401, 403, 404: the registration is gone) ends the loop with an
 * error, as does `--max-failures` transient failures in a row (0 = never give up).
 */
async function heartbeatLoop(io: CommandIo, id: string, options: HeartbeatOptions): Promise<void> {
  const client = createApiClient(options.api, io.fetch);
  const intervalMs = durationOption('interval', options.interval);
  const maxFailures = Number(options.maxFailures);
  if (!Number.isInteger(maxFailures) || maxFailures < 0)
    throw new Error('--max-failures: not a whole number');
  const body = heartbeatBodyOf(options);
  const token = tokenOf(io, options);
  const { signal, dispose } = io.interrupt();
  let failures = 0;
  let beats = 0;
  try {
    for (;;) {
      let waitMs = intervalMs;
      try {
        await sendHeartbeat(client, id, body, token, signal);
        if (failures > 0) io.err(`heartbeat ${id}: recovered after ${failures} failure(s)\n`);
        failures = 0;
        beats += 1;
        if (beats === 1) io.out(`heartbeat ${id}: every ${intervalMs} ms until stopped\n`);
      } catch (error) {
        if (signal.aborted) break;
        const status = error instanceof ApiClientError ? error.status : undefined;
        if (status !== undefined && PERMANENT.has(status)) throw error;
        failures += 1;
        if (maxFailures > 0 && failures >= maxFailures) throw error;
        const retryAfter = error instanceof ApiClientError ? error.retryAfterMs : undefined;
        waitMs = retryAfter ?? Math.min(intervalMs, 500 * 2 ** Math.min(failures - 1, 16));
        io.err(`heartbeat ${id}: ${(error as Error).message}; retrying in ${waitMs} ms\n`);
      }
      if (!(await pause(waitMs, signal))) break;
    }
    io.out(`heartbeat ${id}: stopped after ${beats} heartbeat(s)\n`);
  } finally {
    dispose();
  }
}

function heartbeatBodyOf(options: HeartbeatOptions): Record<string, string> {
  return {
    ...(options.status !== undefined ? { status: options.status } : {}),
    ...(options.note !== undefined ? { note: options.note } : {}),
  };
}

async function heartbeat(io: CommandIo, id: string, options: HeartbeatOptions): Promise<void> {
  if (options.loop) return heartbeatLoop(io, id, options);
  const client = createApiClient(options.api, io.fetch);
  const registration = await sendHeartbeat(client, id, heartbeatBodyOf(options), tokenOf(io, options));
  io.out(`heartbeat ${id}: ${registration?.health ?? 'ok'}, expires ${registration?.expiresAt ?? 'never'}\n`);
}

const collect = (value: string, previous: readonly string[]): string[] => [...previous, value];

function addWriteOptions(command: Command, io: CommandIo): Command {
  return command
    .option('--api <url>', 'Tributary REST API (env TRIBUTARY_API)', defaultApiUrl(io))
    .option('--token <secret>', 'bearer token (env TRIBUTARY_TOKEN, preferred: it stays out of ps)');
}

/** Adds `register`, `deregister` and `heartbeat` to `program`. */
export function registerRegistrationCommands(program: Command, io: CommandIo = processIo()): Command {
  addWriteOptions(
    program
      .command('register')
      .description('register (or re-register) this VM as an instance of a service')
      .requiredOption('--id <id>', 'registration id, unique across Tributary (e.g. the VM name)')
      .requiredOption('--service <name>', 'service name')
      .option('--namespace <namespace>', 'namespace', 'default')
      .requiredOption('--address <ip>', 'IP address the instance is reached at')
      .option('--port <[name=]number[/protocol]>', 'a port (repeatable), e.g. http=8080/http', collect, [])
      .option('--ttl <duration>', 'unhealthy without a heartbeat for this long (default: the source ttl)')
      .option('--grace <duration>', 'removed this long after the ttl ran out (default: the source grace)')
      .option('--label <key=value>', 'an endpoint label (repeatable)', collect, [])
      .option('--weight <n>', 'load-balancing weight (default 1)')
      .option('--region <region>', 'locality region')
      .option('--zone <zone>', 'locality zone'),
    io,
  ).action((options: RegisterOptions) => runAction(io, () => register(io, options)));

  addWriteOptions(
    program
      .command('deregister')
      .description('remove a registration at once (graceful VM shutdown)')
      .argument('<id>', 'registration id'),
    io,
  ).action((id: string, options: WriteOptions) => runAction(io, () => deregister(io, id, options)));

  return addWriteOptions(
    program
      .command('heartbeat')
      .description('renew a registration; --loop keeps renewing until SIGTERM (for a systemd unit)')
      .argument('<id>', 'registration id')
      .option('--status <status>', 'passing | warning | critical (default: unchanged)')
      .option('--note <text>', 'a note shown with the registration')
      .option('--loop', 'send a heartbeat every --interval until stopped')
      .option('--interval <duration>', 'time between heartbeats in --loop mode', '5s')
      .option('--max-failures <n>', 'stop after this many failures in a row (0 = keep retrying)', '0'),
    io,
  ).action((id: string, options: HeartbeatOptions) => runAction(io, () => heartbeat(io, id, options)));
}
