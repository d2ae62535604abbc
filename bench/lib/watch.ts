/**
 * Follows the daemon's catalog change feed (`GET /v1/watch?since=<revision>`, Server-Sent Events) and
 * hands each `change` event with its monotonic receive time to a callback. Used to learn which catalog
 * revision carried which injected change, and when the harness saw it committed.
 */
import http from 'node:http';
import { nowMs } from '../proxy/protocol.js';

export interface ChangeEvent {
  readonly revision: number;
  readonly services: readonly {
    readonly namespace: string;
    readonly name: string;
    readonly op: string;
    readonly service?: { readonly endpoints: readonly { readonly address: string }[] };
  }[];
}

export class CatalogWatch {
  private request: http.ClientRequest | undefined;
  private closed = false;
  events = 0;
  errors: string[] = [];

  constructor(
    private readonly baseUrl: string,
    private readonly onChange: (event: ChangeEvent, time: number) => void,
    /** Follow one namespace only (smaller events and replays: several watches split the feed). */
    private readonly namespace?: string,
  ) {}

  /** Revision of the last change event seen (resume point). */
  private last = -1;
  private reopening = false;
  /** Times the stream ended and was resumed with ?since= (the daemon drops slow SSE readers). */
  reconnects = 0;
  private readonly maxReconnects = 50;

  /** Opens the stream from `since` (replays later revisions); resolves once the headers arrived. */
  open(since: number): Promise<void> {
    if (this.last < 0) this.last = since;
    return new Promise((resolve, reject) => {
      const ns = this.namespace === undefined ? '' : `&namespace=${encodeURIComponent(this.namespace)}`;
      const url = new URL(`/v1/watch?since=${since}${ns}`, this.baseUrl);
      const req = http.get(url, { headers: { accept: 'text/event-stream' } }, (res) => {
        if (res.statusCode !== 200) {
          reject(new Error(`watch: HTTP ${res.statusCode}`));
          res.resume();
          return;
        }
        resolve();
        res.setEncoding('utf8');
        let buffer = '';
        res.on('data', (chunk: string) => {
          const time = nowMs();
          buffer += chunk;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            this.dispatch(block, time);
          }
        });
        const lost = (): void => {
          if (this.request === req) this.resume();
        };
        res.on('error', lost);
        res.on('end', lost);
        res.on('close', lost);
      });
      req.on('error', (error) => {
        reject(error); // no-op once resolved
        if (this.request === req) this.resume();
      });
      this.request = req;
    });
  }

  /** The daemon ended the stream (e.g. the reader fell behind): resume from the last revision, bounded. */
  private resume(): void {
    if (this.closed || this.reopening) return;
    if (this.reconnects >= this.maxReconnects) {
      this.errors.push(`watch stream lost after ${this.reconnects} reconnects`);
      this.closed = true;
      return;
    }
    this.reopening = true;
    this.reconnects += 1;
    this.request?.destroy();
    setTimeout(() => {
      this.reopening = false;
      if (this.closed) return;
      this.open(this.last).catch((error: unknown) => this.errors.push(`watch reconnect: ${String(error)}`));
    }, 20);
  }

  private dispatch(block: string, time: number): void {
    let event = 'message';
    let data = '';
    for (const line of block.split('\n')) {
      if (line.startsWith('event: ')) event = line.slice(7);
      else if (line.startsWith('data: ')) data += line.slice(6);
    }
    if (event !== 'change' || data === '') return;
    this.events += 1;
    try {
      const change = JSON.parse(data) as ChangeEvent;
      if (change.revision <= this.last) return; // already seen (replayed after a resume)
      this.last = Math.max(this.last, change.revision);
      this.onChange(change, time);
    } catch (error) {
      this.errors.push(`bad change event: ${String(error)}`);
    }
  }

  get label(): string {
    return this.namespace ?? 'all';
  }

  close(): void {
    this.closed = true;
    this.request?.destroy();
  }
}
