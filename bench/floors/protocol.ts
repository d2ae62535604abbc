/** Constants and command types shared by the floor server, the floor client and the driver (no side effects). */

export type FloorKind = 'tcp' | 'grpc' | 'http';

export const FLOOR_GRPC_PATH = '/bench.Floor/Stream';

export type FloorServerCommand =
  | { readonly cmd: 'start'; readonly kind: FloorKind; readonly bodies?: Record<string, number> }
  | { readonly cmd: 'count' }
  | { readonly cmd: 'round'; readonly k: number; readonly size: number }
  | { readonly cmd: 'cpu' }
  | { readonly cmd: 'rss' }
  | { readonly cmd: 'stop' };

export type FloorClientCommand =
  | {
      readonly cmd: 'connect';
      readonly kind: 'tcp' | 'grpc';
      readonly port: number;
      readonly n: number;
      readonly streamsPerConnection: number;
    }
  | { readonly cmd: 'arm'; readonly k: number; readonly bytes: number }
  | { readonly cmd: 'wait'; readonly timeoutMs: number }
  | { readonly cmd: 'cpu' }
  | { readonly cmd: 'close' };
