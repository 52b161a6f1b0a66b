import { z } from 'zod';
import { int, ObjectName } from './kube-fields.ts';
import { PodSettings, ServiceSettings, serviceAnnotations } from './pod-settings.ts';
import { TENANT_NAME } from './tenants.ts';

/** Where the LogPipeline custom resource lives in the Kubernetes API. */
export const LOG_PIPELINE_RESOURCE = Object.freeze({
  group: 'logging.instantdev.io',
  version: 'v1alpha1',
  apiVersion: 'logging.instantdev.io/v1alpha1',
  kind: 'LogPipeline',
  listKind: 'LogPipelineList',
  plural: 'logpipelines',
  singular: 'logpipeline',
  shortNames: ['lp'],
} as const);

/** The condition types the operator reports in `status.conditions`. */
export const PipelineConditionType = Object.freeze({
  Ready: 'Ready',
  KafkaTopicReady: 'KafkaTopicReady',
  CollectorReady: 'CollectorReady',
  ProcessorReady: 'ProcessorReady',
  ClickHouseReady: 'ClickHouseReady',
  QueryReady: 'QueryReady',
} as const);
export type PipelineConditionType = (typeof PipelineConditionType)[keyof typeof PipelineConditionType];

/**
 * A cross-field rule stated once and checked twice: as CEL by the API server (`x-kubernetes-validations`)
 * and by `holds` in zod, so the operator's parse and the API server agree on what is valid.
 */
interface CrossFieldRule<T> {
  rule: string;
  message: string;
  /** The field the error names, relative to the object that carries the rule. */
  field?: readonly string[];
  holds: (value: T) => boolean;
}

function withRules<S extends z.ZodObject>(schema: S, rules: readonly CrossFieldRule<z.output<S>>[]): S {
  const validations = rules.map(({ rule, message, field }) =>
    field
      ? { rule, message, fieldPath: field.map((f) => `.${f}`).join(''), reason: 'FieldValueInvalid' }
      : { rule, message },
  );
  return schema.meta({ 'x-kubernetes-validations': validations }).superRefine((value, ctx) => {
    for (const r of rules)
      if (!r.holds(value)) ctx.addIssue({ code: 'custom', message: r.message, path: [...(r.field ?? [])] });
  });
}

/** A transition rule (sees `oldSelf`): only the API server can check it, zod never sees the old object. */
function immutable<S extends z.ZodType>(schema: S, message: string): S {
  return schema.meta({ 'x-kubernetes-validations': [{ rule: 'self == oldSelf', message }] });
}

// Kubernetes' resource.Quantity grammar without the sign: requests and limits are never negative.
const QUANTITY = /^([0-9]+(\.[0-9]*)?|\.[0-9]+)([KMGTPE]i|[numkMGTPE]|[eE][+-]?[0-9]+)?$/;
const QUANTITY_SCALE: Record<string, number> = {
  '': 1,
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** The value of a Kubernetes quantity string ("500m" → 0.5, "1Gi" → 2^30), NaN if it is not one. Pure. */
export function quantityValue(quantity: string): number {
  const m = QUANTITY.exec(quantity);
  if (!m) return NaN;
  const suffix = m[3] ?? '';
  const scale = /^[eE]/.test(suffix) ? 10 ** Number(suffix.slice(1)) : QUANTITY_SCALE[suffix];
  return Number(m[1]) * (scale ?? NaN);
}

// A whole number is a quantity too, as in a Pod (`cpu: 2`), and Helm's --set turns "2" into one: it is
// x-kubernetes-int-or-string in the CRD. No transform to one type here: zod would then drop the defaults
// from the CRD (they are strings, the output type); readers take String() of it.
const Quantity = z.union([
  z.number().int().min(0),
  z.string().max(64).regex(QUANTITY, 'must be a Kubernetes quantity such as 500m, 2, 512Mi or 4Gi'),
]);
/** A Kubernetes quantity as the LogPipeline spec holds it: a string, or a whole number. */
export type Quantity = z.output<typeof Quantity>;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SecretKey = z
  .string()
  .max(253)
  .regex(/^[-._a-zA-Z0-9]+$/, 'must consist of alphanumerics, "-", "_" or "."');
const TopicName = z
  .string()
  .max(249)
  .regex(/^[a-zA-Z0-9._-]+$/, 'must be a Kafka topic name');
const Image = z.string().min(1).max(512).regex(/^\S+$/, 'must be an image reference without spaces');

function quantityRule(
  kind: 'cpu' | 'memory',
): CrossFieldRule<{ requests: Record<typeof kind, Quantity>; limits: Record<typeof kind, Quantity> }> {
  // string(): the value may be an integer (int-or-string), and quantity() takes only strings.
  const [req, lim] = [`string(self.requests.${kind})`, `string(self.limits.${kind})`];
  return {
    // isQuantity guards keep a malformed value to its one pattern error instead of a second CEL error.
    rule: `!isQuantity(${req}) || !isQuantity(${lim}) || quantity(${req}).compareTo(quantity(${lim})) <= 0`,
    message: `requests.${kind} must not exceed limits.${kind}`,
    field: ['requests', kind],
    holds: (v) => !(quantityValue(String(v.requests[kind])) > quantityValue(String(v.limits[kind]))),
  };
}

/** Requests and limits of one component's containers, each with its own defaults. */
function resources(
  component: string,
  requests: { cpu: string; memory: string },
  limits: { cpu: string; memory: string },
) {
  const pair = (what: string, d: { cpu: string; memory: string }) =>
    z.object({
      cpu: Quantity.default(d.cpu).describe(`CPU ${what} (Kubernetes quantity, e.g. 500m, "2" or 2).`),
      memory: Quantity.default(d.memory).describe(
        `Memory ${what} (Kubernetes quantity, e.g. 512Mi or 4Gi; a number is bytes).`,
      ),
    });
  const schema = z.object({
    requests: pair('request', requests).prefault({}).describe('Resources the scheduler reserves for each container.'),
    limits: pair('limit', limits).prefault({}).describe('The most each container may use.'),
  });
  return withRules(schema, [quantityRule('cpu'), quantityRule('memory')])
    .prefault({})
    .describe(`Compute resources of each ${component} container. Requests must not exceed limits.`);
}

const KafkaTopicSettings = z.object({
  name: TopicName.optional().describe(
    'Name of the logs topic. Default: derived from the LogPipeline name by the operator; the name in use is shown in status.topics.logs.',
  ),
  partitions: int(1, 1000)
    .default(6)
    .describe('Partitions of the logs topic: the most processor replicas that can share the load.'),
  replicas: int(1, 10).default(3).describe('Replication factor of the logs and dead-letter topics.'),
  retentionHours: int(1, 8760).default(24).describe('How long Kafka keeps log records (retention.ms), in hours.'),
  compression: z
    .enum(['producer', 'gzip', 'zstd'])
    .default('producer')
    .describe(
      'Kafka compression.type of the topic; "producer" keeps what the collector sends (zstd). The processor reads gzip and zstd batches only.',
    ),
});

const DeadLetterTopic = z.object({
  name: TopicName.optional().describe(
    'Name of the dead-letter topic. Default: derived from the LogPipeline name; shown in status.topics.deadLetter.',
  ),
  partitions: int(1, 1000).default(1).describe('Partitions of the dead-letter topic.'),
  retentionHours: int(1, 8760)
    .default(168)
    .describe('How long Kafka keeps records the processor could not store, in hours.'),
});

const Kafka = withRules(
  z.object({
    cluster: z
      .string()
      .max(63)
      .regex(DNS_LABEL, 'must be a DNS label')
      .optional()
      .describe(
        'Name of a Strimzi Kafka resource in this namespace; the pipeline uses <cluster>-kafka-bootstrap:9092. Exactly one of cluster or bootstrapServers.',
      ),
    bootstrapServers: z
      .string()
      .max(2048)
      .regex(/^[^,\s]+:[0-9]+(,[^,\s]+:[0-9]+)*$/, 'must be a comma-separated list of host:port')
      .optional()
      .describe(
        'Comma-separated host:port list of a Kafka the operator does not manage. Exactly one of cluster or bootstrapServers.',
      ),
    topic: KafkaTopicSettings.prefault({}).describe(
      'The topic the collector writes log records to and the processor consumes.',
    ),
    deadLetterTopic: DeadLetterTopic.prefault({}).describe('The topic for records the processor could not store.'),
  }),
  [
    {
      rule: 'has(self.cluster) != has(self.bootstrapServers)',
      message: 'exactly one of cluster or bootstrapServers must be set',
      holds: (k) => (k.cluster === undefined) !== (k.bootstrapServers === undefined),
    },
    {
      rule: '!has(self.topic.name) || !has(self.deadLetterTopic.name) || self.topic.name != self.deadLetterTopic.name',
      message: 'deadLetterTopic.name must differ from topic.name',
      field: ['deadLetterTopic', 'name'],
      holds: (k) => k.topic.name === undefined || k.topic.name !== k.deadLetterTopic.name,
    },
  ],
).describe('The Kafka that buffers log records between collector and processor.');

const COLLECTOR_HTTP_PORT = 8081;
const TenantName = z.string().regex(TENANT_NAME, 'must be 1 to 64 letters, digits, "_" or "-"');
// One origin per entry: the list reaches the query service comma-joined (CORS_ORIGINS).
const Origin = z
  .string()
  .max(2048)
  .regex(/^(\*|https?:\/\/[^\s/,]+)$/, 'must be an origin such as https://app.example.com, or *')
  .describe('An origin (scheme://host[:port]), or * for any.');

const Collector = withRules(
  z.object({
    replicas: int(1, 100).default(2).describe('Collector replicas (HTTP ingest).'),
    resources: resources('collector', { cpu: '100m', memory: '128Mi' }, { cpu: '1', memory: '1Gi' }),
    apiKeysSecretRef: z
      .object({
        name: ObjectName.describe('Name of a Secret in this namespace.'),
        key: SecretKey.default('api-keys').describe('Key in the Secret that holds the API keys.'),
      })
      .optional()
      .describe('Secret with the API keys clients must present. Unset: ingest is not authenticated.'),
    service: z
      .object({
        type: z
          .enum(['ClusterIP', 'NodePort', 'LoadBalancer'])
          .default('ClusterIP')
          .describe('Kubernetes Service type of the collector.'),
        port: int(1, 65535).default(8081).describe('Port the collector Service listens on.'),
        annotations: serviceAnnotations(),
      })
      .prefault({})
      .describe('How clients reach the collector.'),
    pod: PodSettings.optional(),
    syslog: z
      .object({
        enabled: z
          .boolean()
          .default(false)
          .describe('Whether the collector takes syslog messages (RFC 5424 and RFC 3164) over TCP and UDP.'),
        // Unprivileged ports: the containers run as non-root without NET_BIND_SERVICE.
        tcpPort: int(1024, 65535)
          .default(5514)
          .describe('TCP port of the syslog listener, on the pods and on the collector Service.'),
        udpPort: int(1024, 65535)
          .default(5514)
          .describe('UDP port of the syslog listener, on the pods and on the collector Service.'),
        tenant: TenantName.default('default').describe(
          'Tenant syslog messages are stored under: syslog carries no API key.',
        ),
      })
      .prefault({})
      .describe('Syslog listeners of the collector (SYSLOG_TCP_PORT, SYSLOG_UDP_PORT, SYSLOG_TENANT).'),
  }),
  [
    {
      rule: `!self.syslog.enabled || (self.syslog.tcpPort != ${COLLECTOR_HTTP_PORT} && self.syslog.tcpPort != self.service.port)`,
      message: `syslog.tcpPort must differ from the collector's HTTP port (${COLLECTOR_HTTP_PORT}) and from service.port`,
      field: ['syslog', 'tcpPort'],
      holds: (c) =>
        !c.syslog.enabled || (c.syslog.tcpPort !== COLLECTOR_HTTP_PORT && c.syslog.tcpPort !== c.service.port),
    },
  ],
).describe('The HTTP ingest service: validates log records and writes them to Kafka.');

/** The limits of one tenant, or of every tenant without its own entry (the collector's TENANTS_FILE fields). */
function tenantLimits(whose: string) {
  return {
    retentionDays: int(1, 3650).optional().describe(`How many days the records of ${whose} are kept.`),
    recordsPerSecond: int(1, 100_000_000)
      .optional()
      .describe(`Log records per second ${whose} may send to each collector replica.`),
    bytesPerSecond: int(1, 1e12)
      .optional()
      .describe(`Bytes of log records per second ${whose} may send to each collector replica.`),
    burstSeconds: int(1, 3600)
      .optional()
      .describe(`How many seconds' worth of its rates ${whose} may send at once above them.`),
  };
}

const Tenant = z
  .object({
    name: TenantName.describe('The tenant: the name API keys, client certificates (CN) and syslog.tenant map to.'),
    ...tenantLimits('this tenant'),
  })
  .describe('One tenant and its limits.');

const Auth = z
  .object({
    keysSecretRef: z
      .object({
        name: ObjectName.describe('Name of a Secret in this namespace.'),
        key: SecretKey.default('keys.json').describe('Key in the Secret that holds the keys file.'),
      })
      .optional()
      .describe(
        'Secret holding a keys file of SHA-256 hashes (version 1 JSON, made with the keys CLI). It is mounted as a volume, ' +
          'so the collector and query service pick up rotated keys without a restart (API_KEYS_FILE).',
      ),
  })
  .describe(
    'API keys of the collector and query service. collector.apiKeysSecretRef (plaintext keys) still works; both may be set.',
  );

const Tls = withRules(
  z.object({
    secretName: ObjectName.optional().describe(
      'A kubernetes.io/tls Secret in this namespace (tls.crt, tls.key, and ca.crt for client authentication). ' +
        'Set: the collector and query service serve HTTPS and pick up a renewed certificate without a restart. Unset: plain HTTP.',
    ),
    clientAuth: z
      .enum(['none', 'optional', 'require'])
      .default('none')
      .describe(
        'Whether the collector asks clients for a certificate signed by ca.crt; ' +
          'its common name (CN) is then the tenant. The query service never does.',
      ),
  }),
  [
    {
      rule: "self.clientAuth == 'none' || has(self.secretName)",
      message: 'clientAuth other than none needs secretName: the client CA is its ca.crt',
      field: ['clientAuth'],
      holds: (t) => t.clientAuth === 'none' || t.secretName !== undefined,
    },
  ],
).describe('HTTPS, and client certificates (mTLS) at the collector.');

const Processor = withRules(
  z.object({
    minReplicas: int(1, 1000).default(1).describe('Fewest processor replicas.'),
    maxReplicas: int(1, 1000).default(6).describe('Most processor replicas; at most kafka.topic.partitions.'),
    lagThreshold: int(1, 1_000_000_000)
      .default(10000)
      .describe(
        'Consumer lag (records) per replica above which KEDA adds a replica. Unused by the CPU autoscaler fallback.',
      ),
    batch: z
      .object({
        maxRows: int(1, 1_000_000).default(50000).describe('Most rows in one ClickHouse insert.'),
        maxWaitMs: int(1, 60_000).default(200).describe('Longest a row waits for its batch to fill, in milliseconds.'),
      })
      .prefault({})
      .describe('How the processor batches inserts into ClickHouse.'),
    idempotencyWindowSeconds: int(1, 86_400)
      .default(600)
      .describe(
        "How long a request's Idempotency-Key is remembered once its records are stored: a client retry of it within this window is not stored again.",
      ),
    resources: resources('processor', { cpu: '250m', memory: '256Mi' }, { cpu: '2', memory: '1Gi' }),
    pod: PodSettings.optional().describe(
      'Pod placement and metadata of the processors, and of the setup Job (which runs the processor image).',
    ),
    service: ServiceSettings.optional(),
  }),
  [
    {
      rule: 'self.minReplicas <= self.maxReplicas',
      message: 'minReplicas must not exceed maxReplicas',
      field: ['minReplicas'],
      holds: (p) => p.minReplicas <= p.maxReplicas,
    },
  ],
).describe('The consumers that batch log records from Kafka into ClickHouse, autoscaled on consumer lag.');

/** A transition rule: the value may stay or grow, never shrink. */
function neverShrinks<S extends z.ZodType>(schema: S, message: string): S {
  return schema.meta({ 'x-kubernetes-validations': [{ rule: 'self >= oldSelf', message }] });
}

const KeeperNode = z
  .string()
  .max(253 + 6)
  .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?:[0-9]{1,5}$/, 'must be host:port')
  .describe('A ClickHouse Keeper (or ZooKeeper) server, host:port.');

/** The persistent volume of a StatefulSet's pods: may grow, never move to another class. */
function storage(size: string, what: string) {
  return z
    .object({
      size: Quantity.default(size).describe(
        'Size of each data volume. It may grow: the operator expands the claims in place, which needs a ' +
          'StorageClass with allowVolumeExpansion. It cannot shrink.',
      ),
      storageClassName: immutable(
        ObjectName,
        'storageClassName is immutable: existing volumes cannot move to another class',
      )
        .optional()
        .describe('StorageClass of the data volume. Unset: the cluster default. Immutable once set.'),
    })
    .meta({
      // Also refuses setting or unsetting it, which a transition rule on the optional field alone would allow.
      'x-kubernetes-validations': [
        {
          rule: 'has(self.storageClassName) == has(oldSelf.storageClassName)',
          message: 'storageClassName cannot be set or unset once created',
          fieldPath: '.storageClassName',
          reason: 'FieldValueInvalid',
        },
      ],
    })
    .prefault({})
    .describe(`The persistent volume that holds the ${what}.`);
}

const ManagedKeeper = withRules(
  z.object({
    replicas: int(1, 7)
      .default(3)
      .describe(
        'Keeper servers (pods of its StatefulSet), an odd number: 3 survives the loss of one, 5 of two. ' +
          '1 has no redundancy (tests, development).',
      ),
    image: Image.default('clickhouse/clickhouse-keeper:25.8').describe('ClickHouse Keeper image.'),
    storage: storage('10Gi', 'Raft log and snapshots'),
    resources: resources('Keeper', { cpu: '250m', memory: '512Mi' }, { cpu: '1', memory: '1Gi' }),
    pod: PodSettings.optional(),
  }),
  [
    {
      rule: 'self.replicas % 2 == 1',
      message: 'replicas must be odd: an even ensemble survives no more losses than one server fewer',
      field: ['replicas'],
      holds: (k) => k.replicas % 2 === 1,
    },
  ],
).describe(
  'A ClickHouse Keeper ensemble the operator runs beside ClickHouse: a StatefulSet, a headless Service, ' +
    'its raft configuration and a PodDisruptionBudget allowing one server down.',
);

const ClickHouseManaged = withRules(
  z.object({
    shards: neverShrinks(
      int(1, 32).default(1),
      'shards cannot be reduced: the records of a removed shard would be lost',
    ).describe(
      'Servers the logs are spread over, one StatefulSet each. Above 1 (or with replicas above 1) the tables ' +
        'are shard-local with a Distributed table over them; a shard added later starts empty and takes its share ' +
        'of new records. Changing 1 to more makes a new, empty store: the one-server tables are not moved.',
    ),
    replicas: int(1, 3)
      .default(1)
      .describe(
        'Copies of each shard (pods of its StatefulSet). Above 1 needs keeper: ReplicatedMergeTree keeps the ' +
          'copies in step through ClickHouse Keeper.',
      ),
    keeper: withRules(
      z.object({
        nodes: z
          .array(KeeperNode)
          .min(1)
          .max(7)
          .optional()
          .describe(
            'An existing ClickHouse Keeper or ZooKeeper ensemble; 3 nodes for a quorum that survives one loss.',
          ),
        managed: ManagedKeeper.optional(),
      }),
      [
        {
          rule: 'has(self.nodes) != has(self.managed)',
          message: 'exactly one of keeper.nodes or keeper.managed must be set',
          holds: (k) => (k.nodes === undefined) !== (k.managed === undefined),
        },
      ],
    )
      .optional()
      .describe(
        'The ClickHouse Keeper that replicated shards use: one the operator runs (managed) or an existing one ' +
          '(nodes). Required when replicas is above 1.',
      ),
    storage: storage('50Gi', 'ClickHouse data'),
    image: Image.default('clickhouse/clickhouse-server:25.8').describe('ClickHouse server image.'),
    resources: resources('ClickHouse', { cpu: '500m', memory: '2Gi' }, { cpu: '2', memory: '4Gi' }),
    persistentVolumeClaimRetentionPolicy: z
      .object({
        whenDeleted: z
          .enum(['Retain', 'Delete'])
          .default('Retain')
          .describe('Whether the data volume claims go when the LogPipeline (and so the StatefulSet) is deleted.'),
        whenScaled: z
          .enum(['Retain', 'Delete'])
          .default('Retain')
          .describe('Whether the claims of pods removed by a scale-down go.'),
      })
      .prefault({})
      .describe(
        "The StatefulSet's persistentVolumeClaimRetentionPolicy. Default: keep the data volumes, as Kubernetes does.",
      ),
    pod: PodSettings.optional(),
    service: ServiceSettings.optional(),
  }),
  [
    {
      rule: 'self.replicas == 1 || has(self.keeper)',
      message: 'replicas above 1 need keeper: replication runs through ClickHouse Keeper',
      field: ['keeper'],
      holds: (m) => m.replicas === 1 || m.keeper !== undefined,
    },
    {
      rule: '!has(self.keeper) || !has(self.keeper.managed) || self.replicas > 1',
      message: 'keeper.managed serves replicated shards: set replicas above 1, or remove it',
      field: ['keeper', 'managed'],
      holds: (m) => m.keeper?.managed === undefined || m.replicas > 1,
    },
  ],
).describe('A ClickHouse the operator runs in this namespace: one StatefulSet, or one per shard.');

const ClickHouseExternal = z
  .object({
    url: z
      .string()
      .max(2048)
      .regex(/^https?:\/\/[^\s/?#]+\S*$/, 'must be an http:// or https:// URL')
      .describe('HTTP(S) URL of the ClickHouse HTTP interface, e.g. https://clickhouse.example.com:8443.'),
    database: z
      .string()
      .max(64)
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a plain identifier')
      .default('instant_logs')
      .describe('Database for the log tables; the operator creates it and the tables.'),
    credentialsSecretRef: z
      .object({
        name: ObjectName.describe('Name of a Secret in this namespace.'),
        usernameKey: SecretKey.default('username').describe('Key in the Secret that holds the user name.'),
        passwordKey: SecretKey.default('password').describe('Key in the Secret that holds the password.'),
      })
      .describe('Secret with the ClickHouse user and password.'),
    cluster: z
      .object({
        name: z
          .string()
          .max(64)
          .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a plain identifier')
          .describe("The cluster's name in the servers' remote_servers."),
        replicated: z
          .boolean()
          .default(true)
          .describe('ReplicatedMergeTree tables (needs Keeper); false: one copy per shard.'),
      })
      .optional()
      .describe(
        'A ClickHouse cluster: shard-local tables and a Distributed table over them, created ON CLUSTER ' +
          '(the servers need Keeper and distributed_ddl). Unset: one server.',
      ),
  })
  .describe('A ClickHouse the pipeline uses but does not run.');

const ClickHouse = withRules(
  z.object({
    managed: ClickHouseManaged.optional(),
    external: ClickHouseExternal.optional(),
  }),
  [
    {
      rule: 'has(self.managed) != has(self.external)',
      message: 'exactly one of managed or external must be set',
      holds: (c) => (c.managed === undefined) !== (c.external === undefined),
    },
  ],
).describe('Where log records are stored: exactly one of managed or external.');

const IMAGE_REPOSITORY = 'ghcr.io/instantdev';
const IMAGE_TAG = '0.1.0';
const image = (component: string) =>
  Image.default(`${IMAGE_REPOSITORY}/instant-logs-${component}:${IMAGE_TAG}`).describe(`Image of the ${component}.`);

/** What the user asks for: `kubectl explain logpipeline.spec` shows these descriptions. */
export const LogPipelineSpec = withRules(
  z.object({
    kafka: Kafka,
    collector: Collector.prefault({}),
    processor: Processor.prefault({}),
    clickhouse: ClickHouse,
    retentionDays: int(1, 3650).default(30).describe('How many days ClickHouse keeps log records (table TTL).'),
    auth: Auth.prefault({}),
    tls: Tls.prefault({}),
    tenants: z
      .array(Tenant)
      .max(1000)
      .default([])
      .refine((ts) => new Set(ts.map((t) => t.name)).size === ts.length, 'tenant names must be unique')
      .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] })
      .describe(
        'Per-tenant limits, by tenant name; a tenant not listed takes tenantDefaults. Rates are per collector replica.',
      ),
    tenantDefaults: z
      .object(tenantLimits('each tenant'))
      .optional()
      .describe('The limits of every tenant without its own entry in tenants.'),
    query: z
      .object({
        enabled: z.boolean().default(true).describe('Whether to run the query service.'),
        replicas: int(1, 100).default(2).describe('Query service replicas.'),
        resources: resources('query', { cpu: '100m', memory: '256Mi' }, { cpu: '1', memory: '1Gi' }),
        corsOrigins: z
          .array(Origin)
          .max(100)
          .default([])
          .describe(
            'Browser origins allowed to call the query API from other sites (CORS), e.g. https://grafana.example.com. Empty: CORS off.',
          ),
        pod: PodSettings.optional(),
        service: ServiceSettings.optional(),
      })
      .prefault({})
      .describe('The HTTP/WebSocket query API over ClickHouse.'),
    dashboard: z
      .object({
        enabled: z.boolean().default(true).describe('Whether to run the dashboard; needs query.enabled.'),
        replicas: int(1, 100).default(1).describe('Dashboard replicas.'),
        publicUrl: z
          .string()
          .max(2048)
          .regex(/^https?:\/\/[^\s/?#]+\S*$/, 'must be an http:// or https:// URL')
          .optional()
          .describe(
            "The address people open the dashboard at, e.g. https://logs.example.com: alert notifications link to it (the query service's PUBLIC_URL). Unset: links point to localhost.",
          ),
        resources: resources('dashboard', { cpu: '50m', memory: '64Mi' }, { cpu: '500m', memory: '256Mi' }),
        pod: PodSettings.optional(),
        service: ServiceSettings.optional(),
      })
      .prefault({})
      .describe('The web UI for searching logs.'),
    telemetry: z
      .object({
        otlpEndpoint: z
          .string()
          .max(2048)
          .regex(/^https?:\/\/[^\s/?#]+\S*$/, 'must be an http:// or https:// URL')
          .optional()
          .describe(
            'OTLP/HTTP endpoint the services export their traces to (OTEL_EXPORTER_OTLP_ENDPOINT), e.g. http://otel-collector.observability:4318. Unset: no export.',
          ),
      })
      .prefault({})
      .describe("OpenTelemetry tracing of the pipeline's own services."),
    images: z
      .object({
        collector: image('collector'),
        processor: image('processor'),
        query: image('query'),
        dashboard: image('dashboard'),
        pullPolicy: z
          .enum(['Always', 'IfNotPresent', 'Never'])
          .default('IfNotPresent')
          .describe('imagePullPolicy of every container.'),
        pullSecrets: z
          .array(
            z
              .object({ name: ObjectName.describe('Name of a docker-registry Secret in this namespace.') })
              .describe('A Secret to pull images with.'),
          )
          .max(20)
          .optional()
          .describe('imagePullSecrets of every pod, ClickHouse and the setup Job included, for a private registry.'),
      })
      .prefault({})
      .describe('Image overrides, e.g. for a private registry or mirror.'),
  }),
  [
    {
      rule: 'self.processor.maxReplicas <= self.kafka.topic.partitions',
      message:
        'processor.maxReplicas must not exceed kafka.topic.partitions: replicas beyond the partition count stay idle',
      field: ['processor', 'maxReplicas'],
      holds: (s) => s.processor.maxReplicas <= s.kafka.topic.partitions,
    },
    {
      rule: '!self.dashboard.enabled || self.query.enabled',
      message: 'dashboard.enabled needs query.enabled: the dashboard reads logs through the query service',
      field: ['dashboard', 'enabled'],
      holds: (s) => !s.dashboard.enabled || s.query.enabled,
    },
  ],
).describe('The desired pipeline: collector → Kafka → processor → ClickHouse → query service and dashboard.');
/** The spec as a user may write it (defaults optional). */
export type LogPipelineSpecInput = z.input<typeof LogPipelineSpec>;
/** The spec after parsing: every default filled in. */
export type LogPipelineSpec = z.output<typeof LogPipelineSpec>;

// metav1.Condition's own validation (k8s.io/apimachinery/pkg/apis/meta/v1/types.go).
export const PipelineCondition = z.object({
  type: z
    .string()
    .max(316)
    .regex(
      /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$/,
    )
    .describe('Condition type: Ready, KafkaTopicReady, CollectorReady, ProcessorReady, ClickHouseReady or QueryReady.'),
  status: z.enum(['True', 'False', 'Unknown']).describe('Whether the condition holds.'),
  observedGeneration: z
    .number()
    .int()
    .min(0)
    .optional()
    .describe('The metadata.generation the condition was computed from.'),
  lastTransitionTime: z.iso.datetime({ offset: true }).describe('When status last changed.'),
  reason: z
    .string()
    .min(1)
    .max(1024)
    .regex(/^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/)
    .describe('CamelCase reason for the last transition.'),
  message: z.string().max(32768).describe('Human-readable details.'),
});
export type PipelineCondition = z.infer<typeof PipelineCondition>;

/** What the operator observed: written through the status subresource. */
export const LogPipelineStatus = z
  .object({
    observedGeneration: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe('The metadata.generation the operator last reconciled.'),
    conditions: z
      .array(PipelineCondition)
      .max(32)
      .refine((cs) => new Set(cs.map((c) => c.type)).size === cs.length, 'condition types must be unique')
      .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] })
      .optional()
      .describe('Ready, and one condition per component.'),
    endpoints: z
      .object({
        collector: z.string().optional().describe('In-cluster URL clients send logs to.'),
        query: z.string().optional().describe('In-cluster URL of the query API and dashboard.'),
      })
      .optional()
      .describe('Where to reach the pipeline.'),
    topics: z
      .object({
        logs: z.string().optional().describe('Name of the logs topic in use.'),
        deadLetter: z.string().optional().describe('Name of the dead-letter topic in use.'),
      })
      .optional()
      .describe('The Kafka topics in use, with derived names resolved.'),
    clickhouse: z
      .enum(['managed', 'external'])
      .optional()
      .describe('Whether the pipeline writes to a managed or an external ClickHouse.'),
  })
  .describe('What the operator observed, written through the status subresource.');
export type LogPipelineStatus = z.infer<typeof LogPipelineStatus>;

// The operator derives object names such as <name>-clickhouse-headless (a Service: a 63-character DNS label)
// and StatefulSet revision labels from it, so the pipeline name stays short and label-shaped.
const PIPELINE_NAME = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const MAX_PIPELINE_NAME = 40;

/** The whole custom resource, as the operator reads it from the API server. */
export const LogPipeline = withRules(
  z.object({
    apiVersion: z.literal(LOG_PIPELINE_RESOURCE.apiVersion),
    kind: z.literal(LOG_PIPELINE_RESOURCE.kind),
    metadata: z.looseObject({
      name: z.string(),
      namespace: z.string().optional(),
      uid: z.string().optional(),
      generation: z.number().int().optional(),
      resourceVersion: z.string().optional(),
    }),
    spec: LogPipelineSpec,
    status: LogPipelineStatus.optional(),
  }),
  [
    {
      rule: `self.metadata.name.size() <= ${MAX_PIPELINE_NAME} && self.metadata.name.matches('${PIPELINE_NAME.source}')`,
      message: `metadata.name must be a DNS label of at most ${MAX_PIPELINE_NAME} characters starting with a letter: the operator derives object names from it`,
      field: ['metadata', 'name'],
      holds: (p) => p.metadata.name.length <= MAX_PIPELINE_NAME && PIPELINE_NAME.test(p.metadata.name),
    },
  ],
).describe(
  'LogPipeline runs one self-hosted log pipeline: collector, Kafka topics, processor, ClickHouse, query service and dashboard.',
);
export type LogPipelineInput = z.input<typeof LogPipeline>;
export type LogPipeline = z.output<typeof LogPipeline>;
