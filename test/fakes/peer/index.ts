/** The fake peer Tributary for tests: its catalog watch feed over SSE, driven by the tests. */
export { FakePeer, type FakePeerOptions, type RecordedWatch } from './server.js';
export { eventText } from './render.js';
