/**
 * Helpers of the registration integration tests: a daemon config with a rest source and tokens, the
 * token secrets, authenticated JSON calls, and an xDS client subscribed to one EDS resource.
 */
import { createHash } from 'node:crypto';
import { messageOf, openAds, TYPE_URLS, type SotwStream } from '../../conformance/support/protocol-client.js';
import { DaemonProcess, type Workspace } from './daemon.js';

/** Token secrets by name; their scopes are in registrationConfig. */
export const SECRETS = { shop: 'shop-secret', ops: 'ops-secret' } as const;
export const SHOP = { authorization: `Bearer ${SECRETS.shop}` };
export const OPS = { authorization: `Bearer ${SECRETS.ops}` };

const sha256 = (secret: string): string => createHash('sha256').update(secret).digest('hex');

/** Rest source settings and the rate limit of one test's daemon. */
export interface RegistrationSetup {
  readonly ttl?: string;
  readonly grace?: string;
  readonly perSecond?: number;
  readonly burst?: number;
  /** More YAML lines of the rest source (indented 4 spaces), e.g. registrationStore: consul. */
  readonly restExtra?: string;
  /** More sources (YAML list items indented 2 spaces). */
  readonly sources?: string;
}

/** Writes the config: the file source on ./vms plus a rest source and two tokens (shop, ops). */
export function registrationConfig(ws: Workspace, setup: RegistrationSetup = {}, grpcPort = 0): string {
  ws.write('vms/.keep.yaml', 'services: []\n');
  return ws.config(
    `  - kind: rest
    name: vms
    ttl: ${setup.ttl ?? '30s'}
    grace: ${setup.grace ?? '1m'}
${setup.restExtra ?? ''}${setup.sources ?? ''}auth:
  tokens:
    - { name: shop-vms, sha256: "${sha256(SECRETS.shop)}", scopes: ["register:shop"] }
    - { name: ops, sha256: "${sha256(SECRETS.ops)}", scopes: [admin] }
  rateLimit: { perSecond: ${setup.perSecond ?? 1000}, burst: ${setup.burst ?? 1000} }
`,
    grpcPort,
  );
}

/** A started daemon with its HTTP URL and xDS port. */
export interface Started {
  readonly daemon: DaemonProcess;
  readonly url: string;
  readonly xdsPort: number;
}

/** Starts the daemon on `config` and reads its ports from the `listening` line. */
export async function startDaemon(config: string, cwd: string): Promise<Started> {
  const { daemon, url } = await DaemonProcess.serve(config, cwd);
  const listening = await daemon.waitForLog((l) => l.msg === 'listening');
  return { daemon, url, xdsPort: Number(String(listening.grpc).split(':').pop()) };
}

/** A JSON call; `body` is sent as JSON when given. */
export async function send(
  url: string,
  method: string,
  body?: unknown,
  headers: Record<string, string> = SHOP,
): Promise<{ status: number; headers: Headers; body: unknown }> {
  const response = await fetch(url, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text === '' ? undefined : JSON.parse(text),
  };
}

/** `outbound|<port>||<name>.<namespace>.svc.cluster.local`. */
export const clusterOf = (namespace: string, name: string, port: number): string =>
  `outbound|${port}||${name}.${namespace}.svc.cluster.local`;

interface Cla {
  endpoints?: {
    lb_endpoints?: {
      health_status?: string;
      endpoint?: { address?: { socket_address?: { address?: string; port_value?: number } } };
    }[];
  }[];
}

/** `address:port health` of every endpoint of a ClusterLoadAssignment, sorted. */
function summarizeCla(cla: Cla): string[] {
  const out: string[] = [];
  for (const locality of cla.endpoints ?? []) {
    for (const lb of locality.lb_endpoints ?? []) {
      const socket = lb.endpoint?.address?.socket_address;
      out.push(`${socket?.address}:${socket?.port_value} ${lb.health_status ?? 'UNKNOWN'}`);
    }
  }
  return out.sort();
}

/** One SotW ADS stream subscribed to one EDS resource; `until` waits for pushed states. */
export class EdsWatch {
  private readonly stream: SotwStream;
  last: string[] = [];

  constructor(
    xdsPort: number,
    private readonly cluster: string,
  ) {
    this.stream = openAds(xdsPort);
    this.stream.request(TYPE_URLS.endpoint, [cluster]);
  }

  /** Waits (bounded) until the pushed endpoints equal `want` (`address:port HEALTH`, any order). */
  async until(want: readonly string[], timeoutMs = 10_000): Promise<void> {
    const expected = [...want].sort().join(', ');
    const deadline = Date.now() + timeoutMs;
    if (this.last.join(', ') === expected) return;
    while (Date.now() < deadline) {
      const response = await this.stream.next(Math.max(1, deadline - Date.now()));
      const resource = response.resources.find((r) => r.name === this.cluster);
      this.last = resource === undefined ? [] : summarizeCla(messageOf<Cla>(resource));
      this.stream.ack(response);
      if (this.last.join(', ') === expected) return;
    }
    throw new Error(`${this.cluster}: wanted [${expected}], last saw [${this.last.join(', ')}]`);
  }

  close(): void {
    this.stream.close();
  }
}
