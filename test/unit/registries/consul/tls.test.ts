/** TLS to Consul with a private CA and client certificates (made with the openssl CLI when present). */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConsulHarness, endpointsOf } from './harness.js';

const hasOpenssl = spawnSync('openssl', ['version']).status === 0;
let dir: string;
let harness: ConsulHarness | undefined;

/** A CA, a server certificate for 127.0.0.1 and a client certificate, all signed by the CA. */
function makeCertificates(): void {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  const key = (name: string) =>
    openssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${name}.key`);
  key('ca');
  openssl('req', '-x509', '-new', '-key', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=test-ca');
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1\n');
  writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const name of ['server', 'client']) {
    key(name);
    openssl('req', '-new', '-key', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    openssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.pem`,
      '-days',
      '1',
      '-extfile',
      `${name}.ext`,
    );
  }
}

(hasOpenssl ? describe : describe.skip)('consul source over TLS', () => {
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tributary-consul-tls-'));
    makeCertificates();
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  async function startTlsConsul(): Promise<ConsulHarness> {
    const read = (file: string) => readFileSync(join(dir, file));
    harness = await ConsulHarness.start({
      tls: { key: read('server.key'), cert: read('server.pem'), ca: read('ca.pem'), requestCert: true },
    });
    harness.fake.register({ name: 'web', node: 'n1', address: '10.0.0.1', port: 8443 });
    return harness;
  }

  it('reads Consul over HTTPS with the CA and client certificate files, relative to the config', async () => {
    const tls = await startTlsConsul();
    expect(tls.fake.url).toMatch(/^https:/);
    const recorder = tls.watch({ caFile: 'ca.pem', certFile: 'client.pem', keyFile: 'client.key' }, dir);
    expect(endpointsOf(await recorder.snapshot())).toEqual(['default/web 10.0.0.1:8443 healthy']);
  });

  it('cannot read a Consul that demands a client certificate without one', async () => {
    const tls = await startTlsConsul();
    const recorder = tls.watch({ caFile: 'ca.pem' }, dir);
    expect(await recorder.status('degraded')).toMatchObject({
      stale: true,
      error: expect.stringMatching(/unreachable/),
    });
  });
});
