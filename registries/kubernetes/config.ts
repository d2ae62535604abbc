/** The kubernetes source's own configuration fields (`kind`, `name` and `priority` are added by the loader). */
import { z } from 'zod';
import { PROTOCOLS } from '../../src/model/service.js';
import { durationField } from '../shared/duration.js';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const localitySchema = z
  .strictObject({
    regionLabel: z
      .string()
      .min(1)
      .default('topology.kubernetes.io/region')
      .describe("Node label holding the endpoint's region."),
    zoneLabel: z
      .string()
      .min(1)
      .default('topology.kubernetes.io/zone')
      .describe("Node label holding the endpoint's zone when the EndpointSlice gives none."),
    subzoneLabel: z
      .string()
      .min(1)
      .default('topology.istio.io/subzone')
      .describe("Node label holding the endpoint's subzone."),
  })
  .prefault({});

/**
 * Where the Kubernetes API server is (kubeconfig file and context, or the pod's in-cluster
 * credentials), what to read (EndpointSlices, Services and Nodes of some namespaces) and how its
 * services map onto the catalog. See README "Kubernetes source".
 */
export const kubernetesSourceSchema = z
  .strictObject({
    kubeconfig: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Kubeconfig file, relative to the config file; without it and without inCluster: $KUBECONFIG, then ~/.kube/config.',
      ),
    context: z
      .string()
      .min(1)
      .optional()
      .describe("Kubeconfig context to use; default: the file's current-context."),
    inCluster: z
      .boolean()
      .default(false)
      .describe(
        "Use the pod's service account (token and CA under /var/run/secrets) and KUBERNETES_SERVICE_HOST.",
      ),
    cluster: z
      .string()
      .regex(DNS_LABEL, 'must be a cluster id (a DNS label)')
      .optional()
      .describe("Cluster id stamped on every endpoint and in its instance id; default: the source's name."),
    network: z
      .string()
      .default('')
      .describe("Network of this cluster's pod addresses; endpoints on different networks never merge."),
    namespaces: z
      .array(z.string().regex(DNS_LABEL, 'must be a namespace (a DNS label)'))
      .default([])
      .describe('Namespaces to read; empty means every namespace.'),
    labelSelector: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Only Services matching this label selector (e.g. "app.kubernetes.io/part-of=shop,tier!=db").',
      ),
    externalName: z
      .enum(['skip', 'address'])
      .default('skip')
      .describe(
        'ExternalName services: skip them, or (address) serve those whose externalName is an IP address as one endpoint per port.',
      ),
    nodes: z
      .boolean()
      .default(true)
      .describe(
        'Watch Nodes for the region (and the zone when a slice gives none); needs list/watch on nodes.',
      ),
    defaultProtocol: z
      .enum(PROTOCOLS)
      .default('tcp')
      .describe('Protocol of a TCP port without appProtocol and without a protocol prefix in its name.'),
    locality: localitySchema,
    watchTimeout: durationField('5m', 1000, 3_600_000).describe(
      'timeoutSeconds of each watch request; the watch resumes from its resourceVersion after it.',
    ),
    pageSize: z
      .number()
      .int()
      .min(1)
      .max(10_000)
      .default(500)
      .describe('Objects per list page (limit/continue).'),
    listTimeout: durationField('60s', 1000, 600_000).describe(
      'Time allowed for the API server to answer one list page (then it is retried like a failure).',
    ),
    minInterval: durationField('200ms', 0, 60_000).describe(
      'Least time between two watch requests of one resource.',
    ),
    retryBase: durationField('1s', 10, 600_000).describe(
      'First retry delay after a failed list or watch (doubles per failure, with jitter).',
    ),
    retryMax: durationField('30s', 10, 3_600_000).describe('Cap on the retry delay.'),
  })
  .refine((c) => !(c.inCluster && (c.kubeconfig !== undefined || c.context !== undefined)), {
    message: 'give inCluster or kubeconfig/context, not both',
    path: ['inCluster'],
  });

/** A validated kubernetes source configuration, defaults applied (durations in milliseconds). */
export type KubernetesSourceConfig = z.infer<typeof kubernetesSourceSchema>;
