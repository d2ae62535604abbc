// A demo backend for examples/vms/echo.yaml: answers /echo.Echo/Say with "echo from <port>".
// Usage: node examples/echo-server.mjs [port ...]   (default: 50061 50062)
import * as grpc from '@grpc/grpc-js';

const identity = (b) => b;
const service = {
  Say: {
    path: '/echo.Echo/Say',
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
};
const ports = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['50061', '50062'];
for (const port of ports) {
  const server = new grpc.Server();
  server.addService(service, {
    Say: (call, done) => done(null, Buffer.from(`echo from ${port}: ${call.request}`)),
  });
  server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (error) => {
    if (error) throw error;
    process.stdout.write(`echo backend listening on 127.0.0.1:${port}\n`);
  });
}
