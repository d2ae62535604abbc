/**
 * A fleet of simulated proxies in one process: raw `node:http2` clients speaking gRPC framing to the
 * daemon's ADS (SotW) method. Each stream subscribes CDS (optional) and EDS by name like a gRPC client,
 * ACKs every response with the same names, version and nonce, and logs each response (stream, type,
 * revision, receive time, resource names) into preallocated typed arrays.
 */
import http2 from 'node:http2';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { encodeSotwRequest } from '../../src/xds/codec/index.js';
import type { NodeInfo } from '../../src/xds/types.js';
import {
  emptyCounters,
  nowMs,
  TYPE_CDS,
  TYPE_EDS,
  type Collected,
  type ConnectResult,
  type Counters,
  type FleetInit,
  type Mark,
} from './protocol.js';
import {
  ADS_SOTW_PATH,
  ackTail,
  CDS_TYPE,
  EDS_TYPE,
  FrameReader,
  frame,
  framedAck,
  newEnvelope,
  readEnvelope,
  revisionOf,
  type Envelope,
} from './wire.js';

const ELD_RESOLUTION_MS = 2;
const MAX_ERROR_SAMPLES = 20;

interface StreamState {
  readonly local: number;
  readonly global: number;
  readonly subs: Int32Array;
  readonly edsTail: Buffer;
  readonly cdsTail: Buffer;
  stream: http2.ClientHttp2Stream | undefined;
  maxEds: number;
  maxCds: number;
  lastNonce: string;
  /** Subscribed EDS resources not received yet (initial sync); 0 once synced. */
  missing: number;
  seen: Set<number> | undefined;
  cdsSeen: boolean;
  ready: boolean;
}

export class Fleet {
  private readonly init: FleetInit;
  private readonly streams: StreamState[] = [];
  private readonly sessions: http2.ClientHttp2Session[] = [];
  private readonly nameIndex = new Map<string, number>();
  /** Per global resource index, whether stream subscribes it: checked via a per-stream Set only when needed. */
  private readonly subSets: Set<number>[] = [];
  private readonly counters: Counters = emptyCounters();
  private readonly env: Envelope = newEnvelope(65_536);
  private readonly eld: IntervalHistogram;
  private readonly errorSamples: string[] = [];
  private epoch = '';
  private readyCount = 0;
  private readyMs = -1;
  private closing = false;
  // the delivery log
  private length = 0;
  private resLength = 0;
  private readonly logStream: Int32Array;
  private readonly logType: Uint8Array;
  private readonly logRevision: Int32Array;
  private readonly logTime: Float64Array;
  private readonly logBytes: Int32Array;
  private readonly logResStart: Int32Array;
  private readonly logResCount: Int32Array;
  private readonly logRes: Int32Array;

  constructor(init: FleetInit) {
    this.init = init;
    init.names.forEach((name, i) => this.nameIndex.set(name, i));
    const n = init.subOffsets.length - 1;
    for (let i = 0; i < n; i++) {
      const subs = init.subs.subarray(init.subOffsets[i]!, init.subOffsets[i + 1]!);
      const names = Array.from(subs, (k) => init.names[k]!);
      this.subSets.push(new Set(subs));
      this.streams.push({
        local: i,
        global: init.streamBase + i,
        subs,
        edsTail: ackTail(names, EDS_TYPE),
        cdsTail: ackTail(names, CDS_TYPE),
        stream: undefined,
        maxEds: -1,
        maxCds: -1,
        lastNonce: '',
        missing: subs.length,
        seen: new Set(),
        cdsSeen: !init.cds,
        ready: false,
      });
    }
    this.logStream = new Int32Array(init.logCapacity);
    this.logType = new Uint8Array(init.logCapacity);
    this.logRevision = new Int32Array(init.logCapacity);
    this.logTime = new Float64Array(init.logCapacity);
    this.logBytes = new Int32Array(init.logCapacity);
    this.logResStart = new Int32Array(init.logCapacity);
    this.logResCount = new Int32Array(init.logCapacity);
    this.logRes = new Int32Array(init.resourceCapacity);
    this.eld = monitorEventLoopDelay({ resolution: ELD_RESOLUTION_MS });
    this.eld.enable();
  }

  private sample(message: string): void {
    if (this.errorSamples.length < MAX_ERROR_SAMPLES) this.errorSamples.push(message);
  }

  /** Opens every connection and stream (at most `concurrency` connections being set up at once). */
  async connect(concurrency: number, timeoutMs: number): Promise<ConnectResult> {
    const startMs = nowMs();
    const deadline = Date.now() + timeoutMs;
    const perConn = Math.max(1, this.init.streamsPerConnection);
    const groups: StreamState[][] = [];
    for (let i = 0; i < this.streams.length; i += perConn) groups.push(this.streams.slice(i, i + perConn));
    let next = 0;
    const errors: string[] = [];
    const worker = async (): Promise<void> => {
      while (next < groups.length && Date.now() < deadline && !this.closing) {
        const group = groups[next++]!;
        try {
          const session = await this.openSession(deadline - Date.now());
          for (const s of group) this.openStream(session, s);
        } catch (error) {
          if (errors.length < MAX_ERROR_SAMPLES) errors.push(String(error));
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, concurrency) }, () => worker()));
    // wait (bounded) until every stream holds every subscribed resource
    while (this.readyCount < this.streams.length && Date.now() < deadline && !this.closing) {
      await new Promise((r) => setTimeout(r, 10));
    }
    return {
      startMs,
      readyMs: this.readyCount === this.streams.length ? this.readyMs : -1,
      ready: this.readyCount,
      streams: this.streams.length,
      connections: this.sessions.length,
      errors,
    };
  }

  private openSession(timeoutMs: number): Promise<http2.ClientHttp2Session> {
    return new Promise((resolve, reject) => {
      const session = http2.connect(`http://${this.init.target}`, {
        settings: { initialWindowSize: 4 * 1024 * 1024, enablePush: false },
        maxSessionMemory: 256,
      });
      this.sessions.push(session);
      const timer = setTimeout(() => reject(new Error('connect timeout')), Math.max(1, timeoutMs));
      session.once('connect', () => {
        clearTimeout(timer);
        try {
          session.setLocalWindowSize(32 * 1024 * 1024);
        } catch {
          // older runtimes: the default connection window still works, only slower for big pushes
        }
        resolve(session);
      });
      session.on('error', (error) => {
        clearTimeout(timer);
        if (!this.closing) {
          this.counters.resets += 1;
          this.sample(`session error: ${error.message}`);
        }
        reject(error);
      });
      session.on('goaway', (code) => {
        if (!this.closing) {
          this.counters.resets += 1;
          this.sample(`goaway ${code}`);
        }
      });
    });
  }

  private node(s: StreamState): NodeInfo {
    return {
      id: `${this.init.nodePrefix}-${s.global}`,
      cluster: 'bench',
      userAgent: 'tributary-bench-proxy/1.0',
      clientFeatures: [],
      locality: { region: 'r1', zone: 'z1', subZone: '' },
    };
  }

  private openStream(session: http2.ClientHttp2Session, s: StreamState): void {
    const stream = session.request(
      {
        ':method': 'POST',
        ':path': ADS_SOTW_PATH,
        'content-type': 'application/grpc',
        te: 'trailers',
      },
      { endStream: false },
    );
    s.stream = stream;
    const reader = new FrameReader((buf, start, end) => this.onMessage(s, buf, start, end));
    stream.on('data', (chunk: Buffer) => reader.push(chunk));
    stream.on('response', (headers) => {
      const status = headers[':status'];
      if (status !== 200) {
        this.counters.errors += 1;
        this.sample(`HTTP status ${String(status)}`);
      }
      const grpcStatus = headers['grpc-status'];
      if (grpcStatus !== undefined && grpcStatus !== '0')
        this.onGrpcStatus(grpcStatus, headers['grpc-message']);
    });
    stream.on('trailers', (headers) => {
      const grpcStatus = headers['grpc-status'];
      if (grpcStatus !== undefined && grpcStatus !== '0')
        this.onGrpcStatus(grpcStatus, headers['grpc-message']);
    });
    stream.on('error', (error) => {
      if (!this.closing) {
        this.counters.resets += 1;
        this.sample(`stream error: ${error.message}`);
      }
    });
    stream.on('close', () => {
      if (!this.closing) {
        this.counters.resets += 1;
        this.sample(`stream ${s.global} closed (rst ${stream.rstCode})`);
      }
    });
    const names = Array.from(s.subs, (k) => this.init.names[k]!);
    const node = this.node(s);
    const base = { versionInfo: '', responseNonce: '', errorDetail: undefined, resourceNames: names };
    if (this.init.cds) {
      stream.write(frame(encodeSotwRequest({ ...base, node, typeUrl: CDS_TYPE })));
      stream.write(frame(encodeSotwRequest({ ...base, node: undefined, typeUrl: EDS_TYPE })));
    } else {
      stream.write(frame(encodeSotwRequest({ ...base, node, typeUrl: EDS_TYPE })));
    }
  }

  private onGrpcStatus(status: string | string[], message: unknown): void {
    if (this.closing) return;
    this.counters.errors += 1;
    this.sample(`grpc-status ${String(status)}: ${String(message)}`);
  }

  private onMessage(s: StreamState, buf: Buffer, start: number, end: number): void {
    const time = nowMs();
    const env = this.env;
    try {
      readEnvelope(buf, start, end, env);
    } catch (error) {
      this.counters.errors += 1;
      this.sample(`malformed response: ${String(error)}`);
      return;
    }
    const c = this.counters;
    c.responses += 1;
    c.bytes += env.bytes;
    c.resources += env.resources;
    let type: number;
    if (env.typeUrl === EDS_TYPE) {
      type = TYPE_EDS;
      c.edsResponses += 1;
    } else if (env.typeUrl === CDS_TYPE) {
      type = TYPE_CDS;
      c.cdsResponses += 1;
    } else {
      c.unknownTypes += 1;
      return;
    }
    const dash = env.version.lastIndexOf('-');
    const epoch = dash < 0 ? env.version : env.version.slice(0, dash);
    if (this.epoch === '') this.epoch = epoch;
    else if (epoch !== this.epoch) {
      c.epochChanges += 1;
      this.epoch = epoch;
    }
    const revision = revisionOf(env.version);
    if (type === TYPE_EDS) {
      if (revision < s.maxEds) c.stale += 1;
      else s.maxEds = revision;
    } else if (revision < s.maxCds) c.stale += 1;
    else s.maxCds = revision;
    if (env.nonce === s.lastNonce) c.duplicateNonce += 1;
    s.lastNonce = env.nonce;

    // ACK like a real client: same names, this version, this nonce
    s.stream?.write(framedAck(env.version, type === TYPE_EDS ? s.edsTail : s.cdsTail, env.nonce));
    c.acks += 1;

    // log
    const logged = this.length < this.logType.length && this.resLength + env.resources <= this.logRes.length;
    if (logged) {
      const i = this.length++;
      this.logStream[i] = s.global;
      this.logType[i] = type;
      this.logRevision[i] = revision;
      this.logTime[i] = time;
      this.logBytes[i] = env.bytes;
      this.logResStart[i] = this.resLength;
      this.logResCount[i] = env.resources;
    } else c.logOverflow += 1;
    const subs = this.subSets[s.local]!;
    const offsets = env.nameOffsets;
    for (let k = 0; k < env.resources; k++) {
      const name = buf.toString('latin1', offsets[2 * k]!, offsets[2 * k + 1]!);
      const idx = this.nameIndex.get(name) ?? -1;
      if (idx < 0) c.unknownNames += 1;
      else if (type === TYPE_EDS && !subs.has(idx)) c.unsubscribed += 1;
      if (logged) this.logRes[this.resLength++] = idx;
      if (!s.ready) this.trackInitial(s, type, idx, time);
    }
    if (!s.ready && type === TYPE_CDS) {
      s.cdsSeen = true;
      this.checkReady(s, time);
    }
  }

  private trackInitial(s: StreamState, type: number, idx: number, time: number): void {
    if (type !== TYPE_EDS || idx < 0 || s.seen === undefined) return;
    if (!s.seen.has(idx) && this.subSets[s.local]!.has(idx)) {
      s.seen.add(idx);
      s.missing -= 1;
    }
    this.checkReady(s, time);
  }

  private checkReady(s: StreamState, time: number): void {
    if (s.ready || s.missing > 0 || !s.cdsSeen) return;
    s.ready = true;
    s.seen = undefined;
    this.readyCount += 1;
    if (time > this.readyMs) this.readyMs = time;
  }

  mark(): Mark {
    const cpu = process.cpuUsage();
    const p99 = this.eld.count > 0 ? this.eld.percentile(99) / 1e6 - ELD_RESOLUTION_MS : 0;
    const max = this.eld.count > 0 ? this.eld.max / 1e6 - ELD_RESOLUTION_MS : 0;
    this.eld.reset();
    return {
      time: nowMs(),
      cpuUserUs: cpu.user,
      cpuSystemUs: cpu.system,
      eldP99Ms: Math.max(0, p99),
      eldMaxMs: Math.max(0, max),
      responses: this.counters.responses,
      bytes: this.counters.bytes,
    };
  }

  status(): { ready: number; streams: number; counters: Counters } {
    return { ready: this.readyCount, streams: this.streams.length, counters: { ...this.counters } };
  }

  collect(): Collected {
    const n = this.length;
    return {
      counters: { ...this.counters },
      epoch: this.epoch,
      errorSamples: [...this.errorSamples],
      log: {
        length: n,
        stream: this.logStream.slice(0, n),
        type: this.logType.slice(0, n),
        revision: this.logRevision.slice(0, n),
        time: this.logTime.slice(0, n),
        bytes: this.logBytes.slice(0, n),
        resStart: this.logResStart.slice(0, n),
        resCount: this.logResCount.slice(0, n),
        res: this.logRes.slice(0, this.resLength),
      },
    };
  }

  /** Ends every stream and connection (bounded). */
  async close(): Promise<void> {
    this.closing = true;
    this.eld.disable();
    for (const s of this.streams) {
      try {
        s.stream?.close(http2.constants.NGHTTP2_CANCEL);
      } catch {
        // already gone
      }
    }
    await Promise.all(
      this.sessions.map(
        (session) =>
          new Promise<void>((resolve) => {
            if (session.closed || session.destroyed) return resolve();
            const timer = setTimeout(() => {
              session.destroy();
              resolve();
            }, 2000);
            session.close(() => {
              clearTimeout(timer);
              resolve();
            });
          }),
      ),
    );
  }
}
