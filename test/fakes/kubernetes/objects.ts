/**
 * Builders of Kubernetes objects shaped like ../shared/fixtures/kubernetes/ (and the API reference):
 * v1 Service, discovery.k8s.io/v1 EndpointSlice, v1 Node. Plain JSON, as the API server sends it.
 */

/** The fake's kinds of object. */
export type FakeKind = 'services' | 'endpointslices' | 'nodes';

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    creationTimestamp?: string;
    labels?: Record<string, string>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

export interface ServicePortInput {
  readonly name?: string;
  readonly port: number;
  readonly targetPort?: number | string;
  readonly protocol?: 'TCP' | 'UDP' | 'SCTP';
  readonly appProtocol?: string;
}

export interface ServiceInput {
  readonly namespace?: string;
  readonly name: string;
  readonly labels?: Record<string, string>;
  readonly type?: 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalName';
  /** `None` = headless. Default 10.96.x.y. */
  readonly clusterIP?: string;
  readonly externalName?: string;
  readonly ports?: readonly ServicePortInput[];
  readonly selector?: Record<string, string>;
}

export function service(input: ServiceInput): KubeObject {
  const type = input.type ?? 'ClusterIP';
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: input.name,
      namespace: input.namespace ?? 'default',
      labels: input.labels ?? {},
    },
    spec: {
      type,
      ...(type === 'ExternalName'
        ? { externalName: input.externalName ?? 'example.com' }
        : { clusterIP: input.clusterIP ?? '10.96.0.10', selector: input.selector ?? { app: input.name } }),
      ports: (input.ports ?? [{ name: 'http', port: 80, targetPort: 8080 }]).map((p) => ({
        ...(p.name !== undefined && { name: p.name }),
        protocol: p.protocol ?? 'TCP',
        port: p.port,
        targetPort: p.targetPort ?? p.port,
        ...(p.appProtocol !== undefined && { appProtocol: p.appProtocol }),
      })),
    },
    status: { loadBalancer: {} },
  };
}

export interface SliceEndpointInput {
  readonly address: string;
  readonly ready?: boolean;
  readonly serving?: boolean;
  readonly terminating?: boolean;
  readonly nodeName?: string;
  readonly zone?: string;
  readonly hostname?: string;
  /** Leave `conditions` out entirely (then everything counts as ready). */
  readonly noConditions?: boolean;
}

export interface SliceInput {
  readonly namespace?: string;
  readonly name: string;
  /** The owning Service (label kubernetes.io/service-name); undefined: no label. */
  readonly service: string | undefined;
  readonly addressType?: 'IPv4' | 'IPv6' | 'FQDN';
  readonly ports?: readonly { name?: string; port: number; protocol?: string; appProtocol?: string }[];
  readonly endpoints: readonly SliceEndpointInput[];
}

export function endpointSlice(input: SliceInput): KubeObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: input.name,
      namespace: input.namespace ?? 'default',
      labels: {
        ...(input.service !== undefined && { 'kubernetes.io/service-name': input.service }),
        'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io',
      },
    },
    addressType: input.addressType ?? 'IPv4',
    ports: (input.ports ?? [{ name: 'http', port: 8080 }]).map((p) => ({
      ...(p.name !== undefined && { name: p.name }),
      protocol: p.protocol ?? 'TCP',
      port: p.port,
      ...(p.appProtocol !== undefined && { appProtocol: p.appProtocol }),
    })),
    endpoints: input.endpoints.map((e) => ({
      addresses: [e.address],
      ...(!e.noConditions && {
        conditions: {
          ready: e.ready ?? true,
          serving: e.serving ?? e.ready ?? true,
          terminating: e.terminating ?? false,
        },
      }),
      ...(e.hostname !== undefined && { hostname: e.hostname }),
      ...(e.nodeName !== undefined && { nodeName: e.nodeName }),
      ...(e.zone !== undefined && { zone: e.zone }),
      targetRef: {
        kind: 'Pod',
        namespace: input.namespace ?? 'default',
        name: e.hostname ?? `pod-${e.address}`,
      },
    })),
  };
}

export function node(name: string, labels: Record<string, string> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } },
    status: { conditions: [{ type: 'Ready', status: 'True' }] },
  };
}
