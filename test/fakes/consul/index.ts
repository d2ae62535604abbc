/** The fake Consul for tests: an HTTP(S) server with Consul's read, blocking-query, ACL and agent semantics. */
export {
  FakeConsul,
  type FakeConsulOptions,
  type HeldQuery,
  type InstanceInput,
  type RecordedRequest,
} from './server.js';
export type { FakePolicy } from './acl.js';
export type { CheckStatus, DatacenterState } from './state.js';
