/**
 * The only @grpc/grpc-js importer (STYLE.md habit 7): binds the SotW and delta engines to ADS and to
 * the per-type CDS/EDS/LDS/RDS services. Requests are decoded here; responses are spliced from the
 * resources' cached bytes by the methods' serializers when grpc-js frames them (no per-stream
 * re-encoding). It also carries the federation catalog watch API (tributary.catalog.v1.CatalogWatch),
 * which shares the gRPC port (ARCHITECTURE.md §5).
 */
import * as grpc from '@grpc/grpc-js';
import {
  SotwRequestDecoder,
  decodeDeltaRequest,
  encodeDeltaResponse,
  serializeSotwResponse,
} from './codec/index.js';
import { decodeWatchRequest, encodeWatchEvent } from '../federation/codec.js';
import type { Exporter } from '../federation/exporter.js';
import type { ExportEvent } from '../federation/feed.js';
import { DeltaStream } from './delta-stream.js';
import type { EngineOptions, XdsCloseError, XdsDuplex } from './duplex.js';
import { SotwStream } from './sotw-stream.js';
import {
  TYPE_URLS,
  type DeltaResponse,
  type ResourceSource,
  type SotwResponse,
  type TypeUrl,
} from './types.js';

/**
 * A call whose responses are the engines' response objects: grpc-js serializes each one when it
 * frames it (`responseSerialize` below), so the encoded bytes go straight from a shared scratch
 * buffer into grpc-js's frame, and a response still queued behind backpressure holds only references
 * to the shared resource bytes.
 */
type Call<Res> = grpc.ServerDuplexStream<Buffer, Res>;

const passthrough = (b: Buffer): Buffer => b;

/** Adapts a grpc-js duplex call to the engines' XdsDuplex. */
class GrpcDuplex<Res> implements XdsDuplex<Res> {
  private ended = false;
  readonly peer: string;

  constructor(private readonly call: Call<Res>) {
    this.peer = call.getPeer();
    const end = (): void => {
      this.ended = true;
    };
    call.once('close', end);
    call.once('cancelled', end);
  }

  get closed(): boolean {
    return this.ended || this.call.cancelled || this.call.writableEnded;
  }

  send(response: Res): boolean {
    if (this.closed) return true;
    return this.call.write(response);
  }

  onDrain(listener: () => void): void {
    this.call.on('drain', listener);
  }

  close(error?: XdsCloseError): void {
    if (this.closed) return;
    this.ended = true;
    if (error === undefined) this.call.end();
    else this.call.emit('error', { code: grpc.status[error.code], details: error.message });
  }
}

type Engine = {
  handleRequest(request: never): void;
  handleClose(): void;
  close(error?: XdsCloseError): void;
};

function bind<Req, Res>(
  call: Call<Res>,
  decode: (bytes: Uint8Array) => Req,
  create: (duplex: XdsDuplex<Res>) => Engine & { handleRequest(request: Req): void },
): void {
  const engine = create(new GrpcDuplex(call));
  call.on('data', (bytes: Buffer) => {
    let request: Req;
    try {
      request = decode(bytes);
    } catch (error) {
      engine.close({ code: 'INVALID_ARGUMENT', message: `malformed request: ${(error as Error).message}` });
      return;
    }
    engine.handleRequest(request);
  });
  call.on('end', () => {
    engine.handleClose();
    if (!call.writableEnded) call.end();
  });
  call.on('cancelled', () => engine.handleClose());
  call.on('error', () => engine.handleClose());
}

/**
 * A bidi method whose requests arrive as bytes and whose responses are serialized by `serialize`.
 * grpc-js copies what `serialize` returns into its own frame before anything else runs, so a view
 * into scratch space is fine.
 */
function method<Res>(path: string, serialize: (response: Res) => Buffer): grpc.MethodDefinition<Buffer, Res> {
  return {
    path,
    requestStream: true,
    responseStream: true,
    requestSerialize: passthrough,
    requestDeserialize: passthrough,
    responseSerialize: serialize,
    responseDeserialize: () => {
      throw new Error('xDS responses are never deserialized by the server');
    },
  };
}

const sotwMethod = (path: string) => method(path, serializeSotwResponse);
const deltaMethod = (path: string) => method(path, encodeDeltaResponse);

const PER_TYPE: readonly { service: string; sotw: string; delta: string; typeUrl: TypeUrl }[] = [
  {
    service: 'envoy.service.cluster.v3.ClusterDiscoveryService',
    sotw: 'StreamClusters',
    delta: 'DeltaClusters',
    typeUrl: TYPE_URLS.cluster,
  },
  {
    service: 'envoy.service.endpoint.v3.EndpointDiscoveryService',
    sotw: 'StreamEndpoints',
    delta: 'DeltaEndpoints',
    typeUrl: TYPE_URLS.endpoint,
  },
  {
    service: 'envoy.service.listener.v3.ListenerDiscoveryService',
    sotw: 'StreamListeners',
    delta: 'DeltaListeners',
    typeUrl: TYPE_URLS.listener,
  },
  {
    service: 'envoy.service.route.v3.RouteDiscoveryService',
    sotw: 'StreamRoutes',
    delta: 'DeltaRoutes',
    typeUrl: TYPE_URLS.route,
  },
];

/** Options shared by every stream the server opens. */
export type XdsServerOptions = Omit<EngineOptions, 'ads' | 'fixedTypeUrl'> & {
  readonly source: ResourceSource;
  /** Keepalive pings so half-dead proxies are noticed. */
  readonly keepaliveMs?: number;
  /** Serves tributary.catalog.v1.CatalogWatch (federation) when given. */
  readonly exporter?: Exporter;
};

/** A slow peer whose unsent export events pass this many bytes is cut off; it resumes on reconnect. */
const MAX_EXPORT_BUFFER_BYTES = 16 * 1024 * 1024;

const REFUSAL_STATUS = {
  unauthenticated: grpc.status.UNAUTHENTICATED,
  forbidden: grpc.status.PERMISSION_DENIED,
  invalid: grpc.status.INVALID_ARGUMENT,
} as const;

/** The secret of an `authorization: Bearer <secret>` metadata entry. */
function bearerOf(metadata: grpc.Metadata): string | undefined {
  const value = metadata.get('authorization')[0];
  const match = typeof value === 'string' ? /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(value) : null;
  return match?.[1];
}

/** `Watch`: decodes the request, lets the exporter authorize it, then streams its events. */
function catalogWatch(exporter: Exporter): grpc.handleServerStreamingCall<Buffer, ExportEvent> {
  return (call) => {
    const fail = (code: grpc.status, details: string): void => {
      call.emit('error', { code, details });
    };
    let request;
    try {
      request = decodeWatchRequest(call.request);
    } catch (error) {
      return fail(grpc.status.INVALID_ARGUMENT, `malformed WatchRequest: ${(error as Error).message}`);
    }
    let ended = false;
    const sink = {
      get closed() {
        return ended || call.cancelled || call.writableEnded;
      },
      send(event: ExportEvent): boolean {
        if (sink.closed) return false;
        call.write(event);
        if (call.writableLength <= MAX_EXPORT_BUFFER_BYTES) return true;
        ended = true;
        fail(grpc.status.RESOURCE_EXHAUSTED, 'the peer reads too slowly; reconnect and resume');
        return false;
      },
    };
    const granted = exporter.authorize(bearerOf(call.metadata), request.filter);
    if (!granted.ok) return fail(REFUSAL_STATUS[granted.reason], granted.message);
    const resume = request.epoch === '' || request.revision === 0 ? undefined : request;
    const session = exporter.start(
      granted.grant,
      { resume, transport: 'grpc', remote: call.getPeer() },
      sink,
    );
    const done = (): void => {
      ended = true;
      exporter.close(session);
    };
    call.once('cancelled', done);
    call.once('close', done);
    call.once('error', done);
  };
}

/** The gRPC server carrying ADS and the per-type xDS services. */
export class XdsServer {
  private readonly server: grpc.Server;

  constructor(private readonly options: XdsServerOptions) {
    this.server = new grpc.Server({
      'grpc.keepalive_time_ms': options.keepaliveMs ?? 30_000,
      'grpc.keepalive_timeout_ms': 10_000,
      'grpc.max_receive_message_length': 4 * 1024 * 1024,
      // Nothing reads channelz; left on, grpc-js timestamps every message sent and received.
      'grpc.enable_channelz': 0,
    });
    const ads = 'envoy.service.discovery.v3.AggregatedDiscoveryService';
    this.server.addService(
      {
        StreamAggregatedResources: sotwMethod(`/${ads}/StreamAggregatedResources`),
        DeltaAggregatedResources: deltaMethod(`/${ads}/DeltaAggregatedResources`),
      },
      { StreamAggregatedResources: this.sotw(undefined), DeltaAggregatedResources: this.delta(undefined) },
    );
    for (const t of PER_TYPE) {
      this.server.addService(
        {
          [t.sotw]: sotwMethod(`/${t.service}/${t.sotw}`),
          [t.delta]: deltaMethod(`/${t.service}/${t.delta}`),
        },
        { [t.sotw]: this.sotw(t.typeUrl), [t.delta]: this.delta(t.typeUrl) },
      );
    }
    if (options.exporter !== undefined) {
      const path = '/tributary.catalog.v1.CatalogWatch/Watch';
      this.server.addService(
        {
          Watch: {
            path,
            requestStream: false,
            responseStream: true,
            requestSerialize: passthrough,
            requestDeserialize: passthrough,
            responseSerialize: encodeWatchEvent,
            responseDeserialize: () => {
              throw new Error('watch events are never deserialized by the server');
            },
          },
        },
        { Watch: catalogWatch(options.exporter) },
      );
    }
  }

  private engineOptions(typeUrl: TypeUrl | undefined): EngineOptions {
    const { source: _source, keepaliveMs: _keepalive, exporter: _exporter, ...rest } = this.options;
    return typeUrl === undefined ? { ...rest, ads: true } : { ...rest, ads: false, fixedTypeUrl: typeUrl };
  }

  private sotw(typeUrl: TypeUrl | undefined): grpc.handleBidiStreamingCall<Buffer, SotwResponse> {
    return (call) => {
      // Per stream: ACKs repeat the subscription's resource_names, which the decoder recognises.
      const decoder = new SotwRequestDecoder();
      bind(
        call,
        (bytes) => decoder.decode(bytes),
        (duplex) => new SotwStream(this.options.source, duplex, this.engineOptions(typeUrl)),
      );
    };
  }

  private delta(typeUrl: TypeUrl | undefined): grpc.handleBidiStreamingCall<Buffer, DeltaResponse> {
    return (call) =>
      bind(
        call,
        decodeDeltaRequest,
        (duplex) => new DeltaStream(this.options.source, duplex, this.engineOptions(typeUrl)),
      );
  }

  /** Binds `host:port` (0 = any free port) without TLS. */
  listen(host: string, port: number): Promise<{ host: string; port: number }> {
    return new Promise((resolve, reject) => {
      const target = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
      this.server.bindAsync(target, grpc.ServerCredentials.createInsecure(), (error, bound) => {
        if (error) reject(error);
        else resolve({ host, port: bound });
      });
    });
  }

  /**
   * Stops the server. xDS streams are long-lived and never finish on their own, so waiting for them
   * would only delay shutdown: open streams are cancelled and proxies reconnect (to another replica,
   * or to this one when it is back) with their last versions, which the engines answer in full.
   */
  close(): Promise<void> {
    this.server.forceShutdown();
    return Promise.resolve();
  }
}
