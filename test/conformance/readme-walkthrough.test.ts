/**
 * The README's "Point a proxy at Tributary" walkthrough, word for word but on free ports: the example
 * echo backends, the daemon serving examples/vms, and examples/echo-client.mjs (a grpc-js-xds client)
 * with examples/grpc-bootstrap.json.
 */
import { afterAll, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DaemonProcess, Workspace } from '../integration/support/daemon.js';

const ROOT = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..', '..');
const children: ChildProcess[] = [];
const ws = new Workspace();
let daemon: DaemonProcess | undefined;

afterAll(async () => {
  for (const c of children) c.kill();
  await daemon?.stop();
  ws.cleanup();
});

function run(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env } });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((res) => child.once('exit', (code) => res({ code, out, err })));
}

it('a grpc-js client following the README reaches the example echo backends through Tributary', async () => {
  const backends = spawn(process.execPath, ['examples/echo-server.mjs'], { cwd: ROOT });
  children.push(backends);
  await new Promise<void>((res, rej) => {
    // A backend that cannot bind (port taken) exits: fail with its message instead of hanging.
    let errors = '';
    backends.stderr.on('data', (d: Buffer) => (errors += d.toString()));
    backends.once('exit', (code) => rej(new Error(`examples/echo-server.mjs exited ${code}: ${errors}`)));
    let seen = '';
    backends.stdout.on('data', (d: Buffer) => {
      seen += d.toString();
      if ((seen.match(/listening/g) ?? []).length === 2) res();
    });
  });

  const config = ws.write(
    'tributary.yaml',
    `dataDir: data\nhttp: { port: 0 }\ngrpc: { port: 0 }\nsources:\n  - { kind: file, name: examples, paths: [${join(ROOT, 'examples', 'vms')}] }\n`,
  );
  const started = await DaemonProcess.serve(config, ws.dir);
  daemon = started.daemon;
  const grpcPort = String((await daemon.waitForLog((l) => l.msg === 'listening')).grpc)
    .split(':')
    .pop();
  const bootstrap = readFileSync(join(ROOT, 'examples', 'grpc-bootstrap.json'), 'utf8').replace(
    '127.0.0.1:15010',
    `127.0.0.1:${grpcPort}`,
  );
  const bootstrapFile = ws.write('grpc-bootstrap.json', bootstrap);

  const result = await run(['examples/echo-client.mjs', 'xds:///echo.demo:50051', '6'], {
    GRPC_XDS_BOOTSTRAP: bootstrapFile,
  });
  expect(result.err).toBe('');
  expect(result.code).toBe(0);
  const lines = result.out.trim().split('\n');
  expect(lines).toHaveLength(6);
  expect(lines.every((l) => /^echo from 5006[12]: hello \d$/.test(l))).toBe(true);
});
