import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { formatSseEvent, SseStream, type SseCloseReason, type SseSink } from '../../../src/api/sse.js';

/** A response that keeps everything written in its buffer until `drain()`; never touches a socket. */
class FakeSink extends EventEmitter implements SseSink {
  writableLength = 0;
  destroyed = false;
  writableEnded = false;
  readonly written: string[] = [];

  constructor(private readonly highWaterMark: number) {
    super();
  }

  write(chunk: string): boolean {
    this.written.push(chunk);
    this.writableLength += chunk.length;
    return this.writableLength < this.highWaterMark;
  }

  drain(): void {
    this.writableLength = 0;
    this.emit('drain');
  }

  end(): void {
    this.writableEnded = true;
  }

  destroy(): void {
    this.destroyed = true;
  }
}

function openStream(
  sink: FakeSink,
  limits: Partial<{ heartbeatMs: number; maxBufferedBytes: number; stallMs: number }>,
) {
  const reasons: SseCloseReason[] = [];
  const stream = new SseStream(
    sink,
    { heartbeatMs: 15_000, maxBufferedBytes: 1000, stallMs: 60_000, ...limits },
    (reason) => reasons.push(reason),
  );
  return { stream, reasons };
}

describe('formatSseEvent', () => {
  it('writes id, event and data lines and the blank line that dispatches them', () => {
    expect(formatSseEvent({ id: 4, event: 'change', data: '{"a":1}' })).toBe(
      'id: 4\nevent: change\ndata: {"a":1}\n\n',
    );
    expect(formatSseEvent({ data: 'x' })).toBe('data: x\n\n');
  });
});

describe('SseStream', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it('destroys the response once buffered bytes pass the bound', () => {
    const sink = new FakeSink(100);
    const { stream, reasons } = openStream(sink, { maxBufferedBytes: 250 });
    expect(stream.send({ data: 'x'.repeat(120) })).toBe(true);
    expect(stream.send({ data: 'x'.repeat(120) })).toBe(false);
    expect(reasons).toEqual(['overflow']);
    expect(sink.destroyed).toBe(true);
    expect(stream.send({ data: 'late' })).toBe(false);
    expect(sink.written).toHaveLength(2);
  });

  it('destroys the response when the buffer stays full past the stall limit', () => {
    jest.useFakeTimers();
    const sink = new FakeSink(10);
    const { reasons, stream } = openStream(sink, { stallMs: 5000 });
    stream.send({ data: 'x'.repeat(20) });
    jest.advanceTimersByTime(4999);
    expect(reasons).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(reasons).toEqual(['stalled']);
    expect(sink.destroyed).toBe(true);
  });

  it('keeps a stream whose buffer drains in time', () => {
    jest.useFakeTimers();
    const sink = new FakeSink(10);
    const { reasons, stream } = openStream(sink, { stallMs: 5000 });
    stream.send({ data: 'x'.repeat(20) });
    jest.advanceTimersByTime(4000);
    sink.drain();
    jest.advanceTimersByTime(10_000);
    expect(reasons).toEqual([]);
    stream.close();
    expect(reasons).toEqual(['server']);
    expect(sink.writableEnded).toBe(true);
    expect(sink.destroyed).toBe(false);
  });

  it('writes a keepalive comment every heartbeat and stops when the client leaves', () => {
    jest.useFakeTimers();
    const sink = new FakeSink(1000);
    const { reasons } = openStream(sink, { heartbeatMs: 100 });
    jest.advanceTimersByTime(250);
    expect(sink.written).toEqual([': keepalive\n\n', ': keepalive\n\n']);
    sink.emit('close');
    jest.advanceTimersByTime(1000);
    expect(sink.written).toHaveLength(2);
    expect(reasons).toEqual(['client']);
    expect(jest.getTimerCount()).toBe(0);
    expect(sink.listenerCount('close') + sink.listenerCount('drain')).toBe(0);
  });
});
