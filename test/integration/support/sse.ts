/** A minimal Server-Sent Events reader over fetch, for tests: await the next event, bounded. */
export interface SseEvent {
  readonly id: string | undefined;
  readonly event: string;
  readonly data: string;
}

export class SseClient {
  private readonly queue: SseEvent[] = [];
  private readonly waiters: ((e: SseEvent) => void)[] = [];
  private readonly controller = new AbortController();
  private buffer = '';
  readonly opened: Promise<Response>;

  constructor(url: string, headers: Record<string, string> = {}) {
    this.opened = fetch(url, { headers, signal: this.controller.signal }).then((res) => {
      void this.pump(res);
      return res;
    });
  }

  private async pump(res: Response): Promise<void> {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        this.buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = this.buffer.indexOf('\n\n')) >= 0) {
          this.dispatch(this.buffer.slice(0, end));
          this.buffer = this.buffer.slice(end + 2);
        }
      }
    } catch {
      // aborted by close()
    }
  }

  private dispatch(block: string): void {
    let id: string | undefined;
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'id') id = value;
      else if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length === 0 && id === undefined) return;
    const parsed = { id, event, data: data.join('\n') };
    const waiter = this.waiters.shift();
    if (waiter) waiter(parsed);
    else this.queue.push(parsed);
  }

  /** The next event, or an error after `timeoutMs`. */
  next(timeoutMs = 10_000): Promise<SseEvent> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(deliver);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new Error(`no SSE event within ${timeoutMs} ms`));
      }, timeoutMs);
      const deliver = (e: SseEvent): void => {
        clearTimeout(timer);
        resolve(e);
      };
      this.waiters.push(deliver);
    });
  }

  /** Skips events until one matches (bounded by count and time). */
  async until(test: (e: SseEvent) => boolean, timeoutMs = 10_000): Promise<SseEvent> {
    const deadline = Date.now() + timeoutMs;
    for (let i = 0; i < 1000; i++) {
      const e = await this.next(Math.max(1, deadline - Date.now()));
      if (test(e)) return e;
    }
    throw new Error('no matching SSE event');
  }

  close(): void {
    this.controller.abort();
  }
}
