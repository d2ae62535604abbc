/**
 * Access to the Kubernetes API through @kubernetes/client-node: the KubeConfig (kubeconfig file and
 * context, in-cluster service account, or the default search), paginated lists with the generated
 * API clients, and watch streams with its `Watch`. Errors are described for people here: a 401 or
 * 403 says which credential or RBAC permission to fix.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  CoreV1Api,
  DiscoveryV1Api,
  KubeConfig,
  Observable,
  Watch,
  type ConfigurationOptions,
  type RequestContext,
  type ResponseContext,
} from '@kubernetes/client-node';
import { describeError, TributaryError } from '../../src/errors.js';
import type { KubernetesSourceConfig } from './config.js';
import type { ObjectKind } from './records.js';

/** One page of a list: raw objects, the list's resourceVersion and the continue token. */
export interface ListPage {
  readonly items: readonly unknown[];
  readonly resourceVersion: string;
  readonly continueToken: string | undefined;
}

/** One list request; `signal` aborts it (unsubscribing, or the list timeout). */
export interface ListRequest {
  readonly limit: number;
  readonly continueToken: string | undefined;
  readonly labelSelector: string | undefined;
  readonly signal: AbortSignal;
}

/** A watch event line `{type, object}`. */
export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchRequest {
  readonly resourceVersion: string;
  readonly timeoutSeconds: number;
  readonly labelSelector: string | undefined;
}

/** What the informers need from the API server; a seam for tests. */
export interface KubernetesReads {
  list(kind: ObjectKind, namespace: string | undefined, page: ListRequest): Promise<ListPage>;
  /**
   * Opens a watch; `onEvent` gets each line, `onDone` is called once when the stream ends (`null`)
   * or fails. Resolves with a function that aborts the stream.
   */
  watch(
    kind: ObjectKind,
    namespace: string | undefined,
    request: WatchRequest,
    onEvent: (type: string, object: unknown) => void,
    onDone: (error: unknown) => void,
  ): Promise<() => void>;
}

const WATCH_PATHS: Readonly<Record<ObjectKind, (ns: string | undefined) => string>> = {
  slice: (ns) =>
    ns === undefined
      ? '/apis/discovery.k8s.io/v1/endpointslices'
      : `/apis/discovery.k8s.io/v1/namespaces/${encodeURIComponent(ns)}/endpointslices`,
  service: (ns) =>
    ns === undefined ? '/api/v1/services' : `/api/v1/namespaces/${encodeURIComponent(ns)}/services`,
  node: () => '/api/v1/nodes',
};

/** The service account token every pod gets (unless automountServiceAccountToken is off). */
const IN_CLUSTER_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/** Loads the KubeConfig the source names; throws TRB_CONFIG_UNREADABLE when it cannot. */
export function loadKubeConfig(config: KubernetesSourceConfig, baseDir: string): KubeConfig {
  const kc = new KubeConfig();
  const what = config.inCluster
    ? 'in-cluster service account'
    : config.kubeconfig !== undefined
      ? `kubeconfig ${resolve(baseDir, config.kubeconfig)}`
      : 'default kubeconfig ($KUBECONFIG, ~/.kube/config)';
  try {
    if (config.inCluster) {
      if (!process.env['KUBERNETES_SERVICE_HOST'] || !process.env['KUBERNETES_SERVICE_PORT']) {
        throw new Error('KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set (not in a pod?)');
      }
      if (!existsSync(IN_CLUSTER_TOKEN)) throw new Error(`${IN_CLUSTER_TOKEN} does not exist`);
      kc.loadFromCluster();
    } else if (config.kubeconfig !== undefined) kc.loadFromFile(resolve(baseDir, config.kubeconfig));
    else kc.loadFromDefault();
    if (config.context !== undefined) {
      if (kc.getContextObject(config.context) === null) {
        throw new Error(`it has no context "${config.context}"`);
      }
      kc.setCurrentContext(config.context);
    }
    if (kc.getCurrentCluster() === null) throw new Error('it names no cluster for the current context');
  } catch (error) {
    throw new TributaryError(
      'TRB_CONFIG_UNREADABLE',
      `kubernetes: cannot use the ${what}: ${describeError(error)}`,
      {
        cause: error,
      },
    );
  }
  return kc;
}

/** The client-node implementation of KubernetesReads on one KubeConfig. */
export class KubernetesClient implements KubernetesReads {
  private readonly core: CoreV1Api;
  private readonly discovery: DiscoveryV1Api;
  private readonly watcher: Watch;

  constructor(kc: KubeConfig) {
    this.core = kc.makeApiClient(CoreV1Api);
    this.discovery = kc.makeApiClient(DiscoveryV1Api);
    this.watcher = new Watch(kc);
  }

  async list(kind: ObjectKind, namespace: string | undefined, page: ListRequest): Promise<ListPage> {
    const params = {
      limit: page.limit,
      _continue: page.continueToken,
      labelSelector: page.labelSelector,
    };
    // The generated clients take an AbortSignal through a request middleware (the object-style
    // methods run the Observable form of it).
    const options: ConfigurationOptions = {
      middleware: [
        {
          pre: (context: RequestContext) => {
            context.setSignal(page.signal);
            return new Observable(Promise.resolve(context));
          },
          post: (context: ResponseContext) => new Observable(Promise.resolve(context)),
        },
      ],
      middlewareMergeStrategy: 'append',
    };
    const list =
      kind === 'slice'
        ? namespace === undefined
          ? await this.discovery.listEndpointSliceForAllNamespaces(params, options)
          : await this.discovery.listNamespacedEndpointSlice({ ...params, namespace }, options)
        : kind === 'service'
          ? namespace === undefined
            ? await this.core.listServiceForAllNamespaces(params, options)
            : await this.core.listNamespacedService({ ...params, namespace }, options)
          : await this.core.listNode(params, options);
    return {
      items: list.items,
      resourceVersion: list.metadata?.resourceVersion ?? '',
      continueToken: list.metadata?._continue || undefined,
    };
  }

  async watch(
    kind: ObjectKind,
    namespace: string | undefined,
    request: WatchRequest,
    onEvent: (type: string, object: unknown) => void,
    onDone: (error: unknown) => void,
  ): Promise<() => void> {
    const query: Record<string, string | number | boolean> = {
      resourceVersion: request.resourceVersion,
      allowWatchBookmarks: true,
      timeoutSeconds: request.timeoutSeconds,
    };
    if (request.labelSelector !== undefined) query['labelSelector'] = request.labelSelector;
    const controller = await this.watcher.watch(
      WATCH_PATHS[kind](namespace),
      query,
      (type: string, object: unknown) => onEvent(type, object),
      (error: unknown) => onDone(error),
    );
    return () => controller.abort();
  }
}
