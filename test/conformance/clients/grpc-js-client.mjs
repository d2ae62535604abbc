// A real proxyless gRPC client: @grpc/grpc-js with @grpc/grpc-js-xds, bootstrap from
// GRPC_XDS_BOOTSTRAP_CONFIG. Reads JSON lines {id, target, deadlineMs, payload} on stdin and answers
// {id, ok, reply} or {id, ok: false, code, details} on stdout. Written for tests; nobody edits it to
// make a test pass.
import { createInterface } from 'node:readline';
import * as grpc from '@grpc/grpc-js';
import * as xds from '@grpc/grpc-js-xds';

xds.register();
const identity = (b) => b;
const Echo = grpc.makeGenericClientConstructor(
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
  'Echo',
);
const clients = new Map();

function clientFor(target) {
  let client = clients.get(target);
  if (!client) {
    client = new Echo(target, grpc.credentials.createInsecure());
    clients.set(target, client);
  }
  return client;
}

createInterface({ input: process.stdin }).on('line', (line) => {
  const { id, target, deadlineMs, payload, close } = JSON.parse(line);
  if (close) {
    for (const c of clients.values()) c.close();
    clients.clear();
    process.stdout.write(`${JSON.stringify({ id, ok: true, closed: true })}\n`);
    return;
  }
  const deadline = new Date(Date.now() + (deadlineMs ?? 5000));
  clientFor(target).Say(Buffer.from(payload ?? 'hi'), { deadline }, (error, reply) => {
    const out = error
      ? { id, ok: false, code: error.code, details: error.details }
      : { id, ok: true, reply: reply.toString() };
    process.stdout.write(`${JSON.stringify(out)}\n`);
  });
});
process.stdin.on('end', () => process.exit(0));
