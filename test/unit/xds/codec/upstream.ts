/**
 * The full upstream Envoy API (the vendored data-plane-api, xds, googleapis and protoc-gen-validate
 * trees shipped with @grpc/grpc-js-xds), loaded with protobufjs like proto/ (keepCase), so tests can
 * check our subset against it and decode our bytes with it.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import protobuf from 'protobufjs';
import type { Root, Type } from 'protobufjs';
import { findPackageRoot } from '../../../../src/xds/codec/proto-root.js';

const packageRoot = findPackageRoot(import.meta.url);
const deps = join(packageRoot, 'node_modules/@grpc/grpc-js-xds/deps');
/** Include dirs; protobufjs' own tree supplies google/protobuf/descriptor.proto. */
const includes = [
  ...['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate'].map((dir) => join(deps, dir)),
  join(packageRoot, 'node_modules/protobufjs'),
];

const files = [
  'envoy/service/discovery/v3/ads.proto',
  'envoy/service/cluster/v3/cds.proto',
  'envoy/service/endpoint/v3/eds.proto',
  'envoy/service/listener/v3/lds.proto',
  'envoy/service/route/v3/rds.proto',
  'envoy/config/cluster/v3/cluster.proto',
  'envoy/config/endpoint/v3/endpoint.proto',
  'envoy/config/listener/v3/listener.proto',
  'envoy/config/route/v3/route.proto',
  'envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto',
  'envoy/extensions/filters/http/router/v3/router.proto',
];

let root: Root | undefined;

/** The upstream Root, loaded once. */
export function upstreamRoot(): Root {
  if (root === undefined) {
    const loaded = new protobuf.Root();
    loaded.resolvePath = (_origin, target) => {
      if (isAbsolute(target)) return target;
      return includes.map((dir) => join(dir, target)).find((path) => existsSync(path)) ?? target;
    };
    loaded.loadSync(files, { keepCase: true });
    loaded.resolveAll();
    root = loaded;
  }
  return root;
}

/** The upstream message type `fullName`. */
export function upstreamType(fullName: string): Type {
  return upstreamRoot().lookupType(fullName);
}

/**
 * Decodes with the upstream type and converts to a plain object: enums as names, 64-bit integers as
 * numbers, nested Anys expanded with `@type` (as the builders write them), unset fields left out.
 */
export function decodeUpstream(fullName: string, bytes: Uint8Array): Record<string, unknown> {
  const type = upstreamType(fullName);
  return type.toObject(type.decode(bytes), { enums: String, longs: Number, json: true });
}
