// A proxyless gRPC client: resolves its target through Tributary's xDS and calls it a few times.
// Usage: GRPC_XDS_BOOTSTRAP=examples/grpc-bootstrap.json node examples/echo-client.mjs [target] [calls]
//   target default xds:///echo.demo:50051, calls default 4.
import * as grpc from '@grpc/grpc-js';
import * as xds from '@grpc/grpc-js-xds';

xds.register();
const identity = (b) => b;
const Echo = grpc.makeGenericClientConstructor({
  Say: {
    path: '/echo.Echo/Say',
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
});
const target = process.argv[2] ?? 'xds:///echo.demo:50051';
const calls = Number(process.argv[3] ?? 4);
const client = new Echo(target, grpc.credentials.createInsecure());
for (let i = 1; i <= calls; i++) {
  const reply = await new Promise((resolve, reject) =>
    client.Say(Buffer.from(`hello ${i}`), { deadline: Date.now() + 5000 }, (e, r) =>
      e ? reject(e) : resolve(r),
    ),
  ).catch((error) => {
    process.stderr.write(`call ${i} failed: ${error.details ?? error.message}\n`);
    process.exit(1);
  });
  process.stdout.write(`${reply}\n`);
}
client.close();
process.exit(0);
