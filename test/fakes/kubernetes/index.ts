/** The fake Kubernetes API server and builders of the objects it serves. */
export {
  FAKE_USER,
  FakeKubernetes,
  selectorMatcher,
  type OpenWatch,
  type RecordedRequest,
} from './server.js';
export {
  endpointSlice,
  node,
  service,
  type FakeKind,
  type KubeObject,
  type ServiceInput,
  type SliceEndpointInput,
  type SliceInput,
} from './objects.js';
export { kubeconfigFor } from './kubeconfig.js';
