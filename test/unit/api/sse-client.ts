/** A minimal SSE reader over fetch for tests: one parsed event (or comment) at a time. */

/** One dispatched event, or a comment line (`comment` set, the rest empty). */
export interface ReceivedEvent {
  readonly id?: string;
  readonly event?: string;
  readonly data?: string;
  readonly comment?: string;
}

/** An open stream; always `close()` it. */
export class SseClient {
  #buffer = '';
  readonly #decoder = new TextDecoder();

  private constructor(
    readonly response: Response,
    private readonly reader: ReadableStreamDefaultReader<Uint8Array>,
    private readonly abort: AbortController,
  ) {}

  /** Opens `url`; resolves once the response headers arrived. */
  static async open(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
    const abort = new AbortController();
    const response = await fetch(url, { headers, signal: abort.signal });
    if (!response.body) throw new Error('no body');
    return new SseClient(response, response.body.getReader(), abort);
  }

  /** The next event, skipping comments; undefined when the stream ended. */
  async next(): Promise<ReceivedEvent | undefined> {
    for (;;) {
      const item = await this.nextItem();
      if (item === undefined || item.comment === undefined) return item;
    }
  }

  /** The next event or comment; undefined when the stream ended. */
  async nextItem(): Promise<ReceivedEvent | undefined> {
    for (;;) {
      const end = this.#buffer.indexOf('\n\n');
      if (end >= 0) {
        const block = this.#buffer.slice(0, end);
        this.#buffer = this.#buffer.slice(end + 2);
        return parseBlock(block);
      }
      const { done, value } = await this.reader.read();
      if (done) return undefined;
      this.#buffer += this.#decoder.decode(value, { stream: true });
    }
  }

  /** Aborts the request (the server sees the client go away). */
  close(): void {
    this.abort.abort();
  }
}

function parseBlock(block: string): ReceivedEvent {
  const fields: Record<string, string> = {};
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) return { comment: line.slice(1).trim() };
    const colon = line.indexOf(':');
    fields[line.slice(0, colon)] = line.slice(colon + 1).replace(/^ /, '');
  }
  return { id: fields['id'], event: fields['event'], data: fields['data'] };
}
