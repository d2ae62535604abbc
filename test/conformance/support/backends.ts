/** Loopback gRPC backends for /echo.Echo/Say: each answers `backend:<name>` so tests see who served. */
import * as grpc from '@grpc/grpc-js';

const identity = (b: Buffer): Buffer => b;

/** A running echo backend. */
export interface Backend {
  readonly name: string;
  readonly port: number;
  stop(): Promise<void>;
}

/** Starts a backend on 127.0.0.1 with a free port. */
export async function startBackend(name: string): Promise<Backend> {
  const server = new grpc.Server();
  server.addService(
    {
      Say: {
        path: '/echo.Echo/Say',
        requestStream: false,
        responseStream: false,
        requestSerialize: identity,
        requestDeserialize: identity,
        responseSerialize: identity,
        responseDeserialize: identity,
      },
    },
    {
      Say: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) =>
        callback(null, Buffer.from(`backend:${name}`)),
    },
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) =>
      e ? reject(e) : resolve(p),
    ),
  );
  return {
    name,
    port,
    stop: () => new Promise((resolve) => server.tryShutdown(() => resolve())),
  };
}
