/**
 * `registrationStore: consul`: registrations written through to a Consul agent with the `consul`
 * client (agent API: service + TTL check, heartbeats as check pass/warn/fail, deregister), so every
 * Tributary replica watching that Consul serves them (REGISTRIES.md, Consul "Registering").
 */
import { readFileSync } from 'node:fs';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { resolve } from 'node:path';
import Consul from 'consul';
import type { Logger } from 'pino';
import { describeError, TributaryError } from '../errors.js';
import type { Registration } from '../model/registration.js';
import { consulServicesOf, type ConsulMapping, type RegistrationMirror } from './mirror.js';

/** Where the Consul agent is and how to reach it (the rest source's `consul` settings). */
export interface ConsulAgentSettings {
  readonly address: string;
  readonly token?: string | undefined;
  readonly tokenFile?: string | undefined;
  readonly datacenter?: string | undefined;
  readonly caFile?: string | undefined;
  readonly certFile?: string | undefined;
  readonly keyFile?: string | undefined;
  /** Per-request timeout, ms. */
  readonly timeout: number;
}

type CheckAction = 'pass' | 'warn' | 'fail';
const ACTION_OF: Readonly<Record<Registration['status'], CheckAction>> = {
  passing: 'pass',
  warning: 'warn',
  critical: 'fail',
};

export class ConsulMirror implements RegistrationMirror {
  readonly description: string;
  private readonly client: Consul;
  private readonly token: string | undefined;
  private readonly warned = new Set<string>();

  constructor(
    settings: ConsulAgentSettings,
    private readonly mapping: ConsulMapping,
    private readonly logger: Logger,
    baseDir: string,
  ) {
    const url = new URL(settings.address);
    const secure = url.protocol === 'https:';
    const read = (file: string | undefined, field: string): Buffer | undefined => {
      if (file === undefined) return undefined;
      try {
        return readFileSync(resolve(baseDir, file));
      } catch (error) {
        throw new TributaryError('TRB_CONFIG_INVALID', `consul.${field}: ${describeError(error)}`, {
          field: `consul.${field}`,
          cause: error,
        });
      }
    };
    const tokenFromFile = read(settings.tokenFile, 'tokenFile')?.toString('utf8').trim();
    this.token = settings.token ?? tokenFromFile;
    const ca = read(settings.caFile, 'caFile');
    const cert = read(settings.certFile, 'certFile');
    const key = read(settings.keyFile, 'keyFile');
    const agent = secure
      ? new HttpsAgent({
          keepAlive: true,
          maxSockets: 16,
          ...(ca && { ca }),
          ...(cert && { cert }),
          ...(key && { key }),
        })
      : new HttpAgent({ keepAlive: true, maxSockets: 16 });
    const path = url.pathname.replace(/\/+$/, '');
    this.client = new Consul({
      // The client's baseUrl option (not in its typings) keeps any path prefix of the address.
      ...({ baseUrl: `${url.protocol}//${url.host}${path}/v1`, timeout: settings.timeout } as object),
      agent,
      defaults: {
        ...(this.token !== undefined && { token: this.token }),
        ...(settings.datacenter !== undefined && { dc: settings.datacenter }),
      },
    });
    this.description = `consul agent ${url.protocol}//${url.host}${path}`;
  }

  async put(registration: Registration): Promise<void> {
    const { services, skipped } = consulServicesOf(registration, this.mapping);
    if (skipped.length > 0 && !this.warned.has(registration.id)) {
      this.warned.add(registration.id);
      this.logger.warn(
        { id: registration.id, labels: skipped },
        'labels that are not valid Consul meta keys (letters, digits, _ and -) are not written to Consul',
      );
    }
    for (const { check, tags, meta, ...service } of services) {
      await this.call(`register service "${service.id}"`, () =>
        this.client.agent.service.register({
          ...service,
          tags: [...tags],
          meta: { ...meta },
          // `timeout` is required by the client's typings and ignored for a TTL check.
          ...(check && { check: { ...check, timeout: '10s' } }),
        }),
      );
    }
  }

  async heartbeat(registration: Registration): Promise<void> {
    if (registration.ttlMs === null) return;
    const { services } = consulServicesOf(registration, this.mapping);
    const action = ACTION_OF[registration.status];
    for (const service of services) {
      const checkId = service.check!.checkid;
      try {
        await this.call(`${action} check "${checkId}"`, () =>
          this.client.agent.check[action]({ id: checkId, note: registration.note }),
        );
      } catch (error) {
        // The agent lost the check (restarted without its state, or reaped the service): register
        // again, with this heartbeat's status.
        if (!isMissingCheck(error)) throw error;
        this.logger.info(
          { id: registration.id, checkId },
          'consul lost the registration; registering it again',
        );
        await this.put(registration);
        return;
      }
    }
  }

  async remove(registration: Registration): Promise<void> {
    const { services } = consulServicesOf(registration, this.mapping);
    for (const service of services) {
      try {
        await this.call(`deregister service "${service.id}"`, () =>
          this.client.agent.service.deregister({ id: service.id }),
        );
      } catch (error) {
        if (statusOf(causeOf(error)) === 404) continue; // Already gone.
        throw error;
      }
    }
  }

  close(): void {
    this.client.destroy();
  }

  /** Runs one agent call; failures become TributaryErrors that say where, what and why. */
  private async call(what: string, run: () => Promise<unknown>): Promise<void> {
    try {
      const result = await run();
      // papi (under the consul client) resolves with the error instead of rejecting when the error
      // comes from another realm (its `instanceof Error` fails, as under jest's VM modules).
      if (Object.prototype.toString.call(result) === '[object Error]') throw result;
    } catch (error) {
      const status = statusOf(error);
      const detail = describeError(error).replace(/^consul: /, '');
      if (status === 401 || status === 403) {
        throw new TributaryError(
          'TRB_REGISTRY_REJECTED',
          `${this.description}: ${what}: ${status} ${detail}: the Consul token needs service:write on the service (ACL); nothing was written`,
          { cause: error },
        );
      }
      if (status !== undefined && status >= 400 && status < 500) {
        throw new TributaryError(
          'TRB_REGISTRY_REJECTED',
          `${this.description}: ${what}: ${status} ${detail}; nothing was written`,
          { cause: error },
        );
      }
      throw new TributaryError(
        'TRB_REGISTRY_UNREACHABLE',
        `${this.description}: ${what}: ${status === undefined ? '' : `${status} `}${detail}; nothing was written`,
        { cause: error },
      );
    }
  }
}

function causeOf(error: unknown): unknown {
  return error instanceof Error ? error.cause : undefined;
}

/** Consul answers a TTL update of an unknown check with 404 "Unknown check ID" (older: 500 "… does not have associated TTL"). */
function isMissingCheck(error: unknown): boolean {
  const status = statusOf(causeOf(error));
  const text = error instanceof Error ? error.message : '';
  return status === 404 || /unknown check|does not have associated ttl/i.test(text);
}

function statusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null || !('response' in error)) return undefined;
  const response = (error as { response?: { statusCode?: unknown } }).response;
  return typeof response?.statusCode === 'number' ? response.statusCode : undefined;
}
