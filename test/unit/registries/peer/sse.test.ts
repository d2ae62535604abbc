import { describe, expect, it } from '@jest/globals';
import { SseParser, type SseItem } from '../../../../registries/peer/sse.js';

/** Feeds `chunks` in order and returns every item. */
function parse(...chunks: (string | Uint8Array)[]): SseItem[] {
  const parser = new SseParser();
  return chunks.flatMap((chunk) => parser.push(chunk));
}

describe('SseParser', () => {
  it('dispatches an event on the blank line, with its type, data and id', () => {
    expect(parse('id: e1-3\nevent: change\ndata: {"a":1}\n\n')).toEqual([
      { kind: 'message', event: 'change', data: '{"a":1}', id: 'e1-3' },
    ]);
  });

  it('joins multi-line data with \\n and names an untyped event "message"', () => {
    expect(parse('data: one\ndata:two\ndata\n\n')).toEqual([
      { kind: 'message', event: 'message', data: 'one\ntwo\n', id: '' },
    ]);
  });

  it('accepts CRLF and CR line ends, a CRLF split across chunks, and a leading BOM', () => {
    expect(parse('\uFEFFdata: a\r', '\n\r', '\ndata: b\r\r')).toEqual([
      { kind: 'message', event: 'message', data: 'a', id: '' },
      { kind: 'message', event: 'message', data: 'b', id: '' },
    ]);
  });

  it('reassembles lines and UTF-8 characters split across chunks', () => {
    const bytes = new TextEncoder().encode('data: zürich\n\n');
    expect(parse(bytes.slice(0, 8), bytes.slice(8, 10), bytes.slice(10))).toEqual([
      { kind: 'message', event: 'message', data: 'zürich', id: '' },
    ]);
  });

  it('reports comments, ignores retry and unknown fields, and drops an event without data', () => {
    expect(parse(': keepalive\nretry: 10\nfoo: bar\nevent: heartbeat\n\n')).toEqual([
      { kind: 'comment', text: 'keepalive' },
    ]);
  });

  it('keeps the last id across events and ignores an id holding NUL', () => {
    const items = parse('id: e1-1\ndata: x\n\ndata: y\n\nid: bad\0\ndata: z\n\n');
    expect(items.map((i) => i.kind === 'message' && i.id)).toEqual(['e1-1', 'e1-1', 'e1-1']);
  });

  it('resets the event type after each dispatch and discards an unfinished event', () => {
    const parser = new SseParser();
    expect(parser.push('event: change\ndata: 1\n\ndata: 2\n\ndata: 3\n')).toEqual([
      { kind: 'message', event: 'change', data: '1', id: '' },
      { kind: 'message', event: 'message', data: '2', id: '' },
    ]);
  });
});
