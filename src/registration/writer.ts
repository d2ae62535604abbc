/**
 * The API's way to write registrations. Without a mirror it is the RegistrationService itself.
 * With one (`registrationStore: consul`) each write is checked, written to the mirror, then
 * committed locally; writes run one at a time so a check still holds when its commit runs. A mirror
 * failure fails the call and commits nothing. Registrations that expire locally are removed from the
 * mirror too (best effort: Consul also reaps them after DeregisterCriticalServiceAfter).
 */
import type { Subscription } from 'rxjs';
import type { Logger } from 'pino';
import type { Principal } from '../auth/scopes.js';
import { describeError } from '../errors.js';
import type { Registration } from '../model/registration.js';
import type { RegistrationMirror } from './mirror.js';
import type { HeartbeatInput, RegistrationInput, RegistrationService } from './service.js';

export class RegistrationWriter {
  private queue: Promise<unknown> = Promise.resolve();
  private readonly expiries: Subscription | undefined;

  constructor(
    private readonly service: RegistrationService,
    private readonly mirror: RegistrationMirror | undefined,
    private readonly logger: Logger,
  ) {
    this.expiries = mirror
      ? service.changes().subscribe((change) => {
          if (change.type === 'delete' && change.reason === 'expired')
            void this.serial(() => this.removeQuietly(change.registration));
        })
      : undefined;
  }

  /** Where registrations are written besides SQLite, for logs and status. */
  get store(): string {
    return this.mirror?.description ?? 'sqlite';
  }

  async register(
    input: RegistrationInput,
    principal: Principal,
  ): Promise<{ registration: Registration; created: boolean }> {
    const mirror = this.mirror;
    if (mirror === undefined) return this.service.register(input, principal);
    return this.serial(async () => {
      const planned = this.service.planRegister(input, principal);
      await mirror.put(planned.registration);
      return this.service.register(input, principal);
    });
  }

  async heartbeat(id: string, input: HeartbeatInput, principal: Principal): Promise<Registration> {
    const mirror = this.mirror;
    if (mirror === undefined) return this.service.heartbeat(id, input, principal);
    return this.serial(async () => {
      await mirror.heartbeat(this.service.planHeartbeat(id, input, principal));
      return this.service.heartbeat(id, input, principal);
    });
  }

  async deregister(id: string, principal: Principal): Promise<Registration> {
    const mirror = this.mirror;
    if (mirror === undefined) return this.service.deregister(id, principal);
    return this.serial(async () => {
      await mirror.remove(this.service.requireWritable(id, principal));
      return this.service.deregister(id, principal);
    });
  }

  /**
   * Writes every local registration to the mirror (after a start: the agent may have lost them, or
   * they were made while the store was sqlite). Failures are logged; heartbeats retry them.
   */
  async resync(): Promise<void> {
    const mirror = this.mirror;
    if (mirror === undefined) return;
    for (const registration of this.service.current()) {
      await this.serial(async () => {
        try {
          await mirror.put(registration);
        } catch (error) {
          this.logger.warn(
            { id: registration.id, error: describeError(error) },
            'registration could not be written through at start; its next heartbeat retries',
          );
        }
      });
    }
  }

  /** Waits for queued writes, then releases the mirror. */
  async close(): Promise<void> {
    this.expiries?.unsubscribe();
    await this.queue.catch(() => undefined);
    this.mirror?.close();
  }

  private async removeQuietly(registration: Registration): Promise<void> {
    try {
      await this.mirror?.remove(registration);
    } catch (error) {
      this.logger.warn(
        { id: registration.id, error: describeError(error) },
        'expired registration could not be removed from the write-through store; Consul reaps it after its DeregisterCriticalServiceAfter',
      );
    }
  }

  private serial<T>(run: () => Promise<T>): Promise<T> {
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }
}
