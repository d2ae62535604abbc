/**
 * A bounded Server-Sent Events writer over a raw HTTP response
 * (https://html.spec.whatwg.org/multipage/server-sent-events.html). It never buffers without
 * bound: when the client stops reading, the stream is destroyed once the buffered bytes pass
 * `maxBufferedBytes` or the buffer has stayed full for `stallMs`; the client then reconnects
 * with `Last-Event-ID` and resumes.
 */
import type { SseLimits } from './context.js';

/** The part of `http.ServerResponse` the writer uses. */
export interface SseSink {
  readonly writableLength: number;
  readonly destroyed: boolean;
  readonly writableEnded: boolean;
  write(chunk: string): boolean;
  end(): void;
  destroy(): void;
  on(event: 'close' | 'drain', listener: () => void): unknown;
  off(event: 'close' | 'drain', listener: () => void): unknown;
}

/** One event; `data` must not contain line breaks (serialized JSON does not). */
export interface SseEvent {
  readonly id?: number | string;
  readonly event?: string;
  readonly data: string;
}

/** Why a stream ended: the client left, the server ended it, or the client fell too far behind. */
export type SseCloseReason = 'client' | 'server' | 'overflow' | 'stalled';

/** Formats one event as its wire text, ending with the blank line that dispatches it. */
export function formatSseEvent(event: SseEvent): string {
  let text = '';
  if (event.id !== undefined) text += `id: ${event.id}\n`;
  if (event.event !== undefined) text += `event: ${event.event}\n`;
  return `${text}data: ${event.data}\n\n`;
}

/** Writes events and heartbeats to one response; `onClose` runs exactly once, whatever ends it. */
export class SseStream {
  #closed = false;
  #stallTimer: NodeJS.Timeout | undefined;
  readonly #heartbeat: NodeJS.Timeout;
  readonly #onClientClose = (): void => this.#finish('client');
  readonly #onDrain = (): void => this.#clearStall();

  constructor(
    private readonly sink: SseSink,
    private readonly limits: SseLimits,
    private readonly onClose: (reason: SseCloseReason) => void,
  ) {
    sink.on('close', this.#onClientClose);
    sink.on('drain', this.#onDrain);
    this.#heartbeat = setInterval(() => this.#write(': keepalive\n\n'), limits.heartbeatMs);
  }

  /** True once the stream ended for any reason; later sends are dropped. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Sends one event; false when the stream is (or just got) closed. */
  send(event: SseEvent): boolean {
    return this.#write(formatSseEvent(event));
  }

  /** Ends the stream gracefully (server shutdown). */
  close(): void {
    this.#finish('server');
  }

  #write(text: string): boolean {
    if (this.#closed) return false;
    if (this.sink.destroyed || this.sink.writableEnded) {
      this.#finish('client');
      return false;
    }
    const flushed = this.sink.write(text);
    if (this.sink.writableLength > this.limits.maxBufferedBytes) {
      this.#finish('overflow');
      return false;
    }
    if (!flushed && this.#stallTimer === undefined) {
      this.#stallTimer = setTimeout(() => this.#finish('stalled'), this.limits.stallMs);
    }
    return true;
  }

  #clearStall(): void {
    clearTimeout(this.#stallTimer);
    this.#stallTimer = undefined;
  }

  #finish(reason: SseCloseReason): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#heartbeat);
    this.#clearStall();
    this.sink.off('close', this.#onClientClose);
    this.sink.off('drain', this.#onDrain);
    if (reason === 'server') this.sink.end();
    else if (reason !== 'client') this.sink.destroy();
    this.onClose(reason);
  }
}
