/**
 * Failures of lists and watches, described for people (a 401 says which credential to fix, a 403
 * which RBAC permission to grant). Kept apart from client.ts so the daemon loads
 * @kubernetes/client-node (~400 ms of module loading) only when a kubernetes source starts.
 */
import { describeError } from '../../src/errors.js';
import type { ObjectKind } from './records.js';

/** The resource each kind is, as RBAC names it. */
export const RESOURCE_NAMES: Readonly<Record<ObjectKind, string>> = {
  slice: 'endpointslices.discovery.k8s.io',
  service: 'services',
  node: 'nodes',
};

/** client-node's ApiException (an Error with the HTTP `code` and the response `body`), by shape. */
function isApiException(error: unknown): error is Error & { code: number; body: unknown } {
  return (
    error instanceof Error &&
    'code' in error &&
    typeof (error as { code: unknown }).code === 'number' &&
    'body' in error
  );
}

/** The HTTP status of a failed list or watch, if the API server answered. */
export function statusCodeOf(error: unknown): number | undefined {
  if (error instanceof WatchStatusError) return error.code;
  if (isApiException(error)) return error.code;
  if (error !== null && typeof error === 'object' && 'statusCode' in error) {
    const code = (error as { statusCode: unknown }).statusCode;
    if (typeof code === 'number') return code;
  }
  return undefined;
}

/** A watch ERROR event (other than 410), as an error. */
export class WatchStatusError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'WatchStatusError';
  }
}

/** The Status message in an ApiException body, when there is one. */
function apiMessage(error: unknown): string {
  if (error instanceof WatchStatusError) return error.message;
  if (!isApiException(error)) return describeError(error);
  const body: unknown = error.body;
  const text = typeof body === 'string' ? body : JSON.stringify(body ?? '');
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed !== null && typeof parsed === 'object' && 'message' in parsed) {
      return String((parsed as { message: unknown }).message);
    }
  } catch {
    // not JSON
  }
  return text.slice(0, 200);
}
const RBAC_GROUPS: Readonly<Record<ObjectKind, string>> = {
  slice: 'discovery.k8s.io',
  service: '',
  node: '',
};

/**
 * The status message of a failed list or watch: where (cluster, verb, resource, namespace) and why;
 * a 401 says to fix the credentials, a 403 which RBAC permission to grant.
 */
export function describeFailure(
  error: unknown,
  cluster: string,
  kind: ObjectKind,
  namespace: string | undefined,
): string {
  const resource = RESOURCE_NAMES[kind];
  const scope =
    namespace === undefined ? (kind === 'node' ? '' : ' in all namespaces') : ` in namespace ${namespace}`;
  const where = `kubernetes ${cluster}: list/watch ${resource}${scope}`;
  const code = statusCodeOf(error);
  if (code === 401) {
    return `${where}: HTTP 401 Unauthorized: the API server rejected the credentials; check the kubeconfig user (token, client certificate) or the service account token`;
  }
  if (code === 403) {
    const binding =
      namespace === undefined
        ? 'a ClusterRole bound with a ClusterRoleBinding'
        : `a Role in namespace ${namespace}`;
    return `${where}: HTTP 403 Forbidden (${apiMessage(error)}): RBAC denies it; grant list/watch ${resource} with ${binding}: apiGroups ["${RBAC_GROUPS[kind]}"], resources ["${resource.split('.')[0]}"], verbs ["list", "watch"]`;
  }
  if (code !== undefined) return `${where}: HTTP ${code} ${apiMessage(error)}`;
  return `${where}: API server unreachable (${describeError(error)})`;
}
