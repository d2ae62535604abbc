/**
 * A Server-Sent Events parser, per the WHATWG HTML "event stream interpretation"
 * (https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation):
 * UTF-8 with an optional leading BOM; lines end in CRLF, LF or CR (a CRLF may be split across
 * chunks); `:` starts a comment; `field: value` drops one space after the colon; `data` lines join
 * with "\n"; `id` persists across events (ignored when it holds NUL); a blank line dispatches the
 * event when it has data; an unfinished event at the end of the stream is discarded. Pure.
 */

/** A dispatched event: `event` is 'message' when the stream named none. */
export interface SseMessage {
  readonly kind: 'message';
  readonly event: string;
  readonly data: string;
  /** The last event id seen on the stream ('' before any). */
  readonly id: string;
}

/** A comment line (`: keepalive`), without the colon and one leading space. */
export interface SseComment {
  readonly kind: 'comment';
  readonly text: string;
}

/** What one chunk of the stream produced, in order. */
export type SseItem = SseMessage | SseComment;

/** Incremental parser of one stream: feed it chunks, get the complete items. */
export class SseParser {
  private readonly decoder = new TextDecoder('utf-8');
  private buffer = '';
  private started = false;
  /** The previous chunk ended in CR: an LF starting this one belongs to it. */
  private afterCr = false;
  private data: string[] = [];
  private event = '';
  private lastId = '';

  /** Parses `chunk` (bytes or text); returns the items its complete lines make. */
  push(chunk: Uint8Array | string): SseItem[] {
    let text = typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (this.afterCr && text.startsWith('\n')) text = text.slice(1);
    this.afterCr = false;
    this.buffer += text;
    const items: SseItem[] = [];
    const lineEnd = /\r\n|\r|\n/g;
    let start = 0;
    for (let match = lineEnd.exec(this.buffer); match !== null; match = lineEnd.exec(this.buffer)) {
      // A CR last in the buffer may be the first half of a CRLF: the next chunk says.
      if (match[0] === '\r' && match.index === this.buffer.length - 1) this.afterCr = true;
      const item = this.line(this.buffer.slice(start, match.index));
      if (item !== undefined) items.push(item);
      start = match.index + match[0].length;
    }
    this.buffer = this.buffer.slice(start);
    return items;
  }

  private line(line: string): SseItem | undefined {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return { kind: 'comment', text: line.slice(1).replace(/^ /, '') };
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.event = value;
    else if (field === 'id' && !value.includes('\0')) this.lastId = value;
    // `retry` and unknown fields: ignored (the source has its own reconnection policy).
    return undefined;
  }

  private dispatch(): SseMessage | undefined {
    const data = this.data;
    const event = this.event;
    this.data = [];
    this.event = '';
    if (data.length === 0) return undefined;
    return {
      kind: 'message',
      event: event === '' ? 'message' : event,
      data: data.join('\n'),
      id: this.lastId,
    };
  }
}
