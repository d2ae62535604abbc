/**
 * XDS.md §5 item 39 at scale, against the built daemon: 1,000 ADS streams over 10 channels subscribe
 * to one service's ClusterLoadAssignment; one endpoint change reaches every stream, and the CLA is
 * encoded once whatever the stream count.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { Mesh, type VmEndpoint } from './support/mesh.js';
import {
  TYPE_URLS,
  XdsChannel,
  endpointPorts,
  namesOf,
  testNode,
  waitForEndpoints,
  type DecodedSotwResponse,
  type SotwStream,
} from './support/protocol-client.js';

const CHANNELS = 10;
const STREAMS_PER_CHANNEL = 100;
const STREAMS = CHANNELS * STREAMS_PER_CHANNEL;
const WAIT_MS = 20_000;

const NAME = 'p-39-fanout';
const CLUSTER = `outbound|50051||${NAME}.test.svc.cluster.local`;
const ep = (port: number): VmEndpoint => ({
  backend: { name: `e${port}`, port, stop: () => Promise.resolve() },
});

let mesh: Mesh;
const channels: XdsChannel[] = [];

beforeAll(async () => {
  mesh = await Mesh.start(0);
});
afterAll(async () => {
  for (const channel of channels.splice(0)) channel.close();
  await mesh?.close();
});

it('item 39: one endpoint change reaches 1,000 ADS streams and the CLA is encoded once', async () => {
  mesh.declare(NAME, [ep(39001)]);
  await waitForEndpoints(mesh.xdsPort, CLUSTER, [39001]);

  for (let i = 0; i < CHANNELS; i++) channels.push(new XdsChannel(mesh.xdsPort));
  const streams: SotwStream[] = [];
  for (const [c, channel] of channels.entries()) {
    for (let s = 0; s < STREAMS_PER_CHANNEL; s++) {
      const stream = channel.openAds({ node: testNode(`p-39-${c}-${s}`) });
      stream.request(TYPE_URLS.endpoint, [CLUSTER]);
      streams.push(stream);
    }
  }
  const initial = await Promise.all(streams.map((s) => s.next(WAIT_MS)));
  for (const [i, response] of initial.entries()) {
    expect(portsOf(response)).toEqual([39001]);
    streams[i]!.ack(response);
  }
  expect(await mesh.metric('tributary_xds_streams', { kind: 'sotw' })).toBeGreaterThanOrEqual(STREAMS);
  const encodes = await mesh.metric('tributary_xds_encodes_total', { type: 'eds' });
  const responses = await mesh.metric('tributary_xds_responses_total', { type: 'eds' });

  const start = Date.now();
  mesh.declare(NAME, [ep(39001), ep(39002)]);
  const pushed = await Promise.all(streams.map((s) => s.next(WAIT_MS)));
  const elapsed = Date.now() - start;
  for (const response of pushed) {
    expect(response.typeUrl).toBe(TYPE_URLS.endpoint);
    expect(portsOf(response)).toEqual([39001, 39002]);
  }
  process.stdout.write(`item 39: ${STREAMS} streams received the change ${elapsed} ms after the edit\n`);

  // One encode for the one changed CLA, and one response per stream (no duplicates).
  expect(await mesh.metric('tributary_xds_encodes_total', { type: 'eds' })).toBe(encodes + 1);
  expect(await mesh.metric('tributary_xds_responses_total', { type: 'eds' })).toBe(responses + STREAMS);
  for (const [i, response] of pushed.entries()) streams[i]!.ack(response);
  await Promise.all(streams.slice(0, 10).map((s) => s.expectNone()));
});

function portsOf(response: DecodedSotwResponse): number[] {
  expect(namesOf(response)).toEqual([CLUSTER]);
  return endpointPorts(response.resources[0]!);
}
