import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { z } from 'zod';
import { CollectorConfig } from '@instant-logs/collector';
import { ProcessorConfig, SetupConfig } from '@instant-logs/processor';
import { QueryConfig } from '@instant-logs/query';
import type { KubeObject } from '../kube/client.ts';
import { desired } from './index.ts';
import { namesOf } from './names.ts';
import { context, EXTERNAL_CLICKHOUSE, mainContainer, pipeline, workloads } from './test-pipeline.ts';

// The services' schemas drop keys they do not declare, so a misspelt name the operator writes would leave the
// setting at its default with nothing noticing: every name written must be one the target's schema declares.

type Schema = z.ZodObject<z.ZodRawShape>;

// Every option that adds env: auth both ways, syslog, TLS with client certificates, tenants, trace export, CORS.
const everything = pipeline({
  auth: { keysSecretRef: { name: 'hashed-keys', key: 'keys.json' } },
  collector: {
    apiKeysSecretRef: { name: 'ingest-keys', key: 'keys' },
    syslog: { enabled: true, tcpPort: 6514, tenant: 'network' },
  },
  tls: { secretName: 'web-tls', clientAuth: 'require' },
  tenants: [{ name: 'team-a', retentionDays: 7 }],
  telemetry: { otlpEndpoint: 'http://otel-collector:4318' },
  query: { corsOrigins: ['https://dash.example.com'] },
});
// Kafka and ClickHouse the operator does not manage: the setup Job creates the topics, credentials come from a Secret.
const external = pipeline({ kafka: { bootstrapServers: 'k1:9092' }, clickhouse: EXTERNAL_CLICKHOUSE });
// No keys at all: the services are told that is deliberate.
const open = pipeline({});
// A managed sharded ClickHouse, and an external replicated cluster: the CLICKHOUSE_CLUSTER* settings.
const sharded = pipeline({ clickhouse: { managed: { shards: 2 } } });
const externalCluster = pipeline({
  clickhouse: { external: { ...EXTERNAL_CLICKHOUSE.external, cluster: { name: 'prod', replicated: true } } },
});

const cases = [
  {
    name: 'every option',
    objects: desired(everything, context({ keda: true, prometheusOperator: true })),
    p: everything,
  },
  { name: 'external Kafka and ClickHouse', objects: desired(external, context({}, null)), p: external },
  { name: 'no keys', objects: desired(open, context()), p: open },
  { name: 'sharded managed ClickHouse', objects: desired(sharded, context()), p: sharded },
  { name: 'external ClickHouse cluster', objects: desired(externalCluster, context({}, null)), p: externalCluster },
];

/** The schema of the service each workload runs; the dashboard (nginx) and ClickHouse are not ours to parse. */
function schemaFor(p: ReturnType<typeof pipeline>, obj: KubeObject): Schema | undefined {
  const names = namesOf(p);
  if (obj.kind === 'Job' && obj.metadata.name.startsWith(`${names.setupPrefix}-`))
    return SetupConfig as unknown as Schema;
  const byName: Record<string, unknown> = {
    [names.collector]: CollectorConfig,
    [names.processor]: ProcessorConfig,
    [names.query]: QueryConfig,
  };
  return byName[obj.metadata.name] as Schema | undefined;
}

const declared = (schema: Schema) => new Set(Object.keys(schema.shape));

for (const { name, objects, p } of cases) {
  test(`every env var the operator writes into a service's pod is declared by that service's config schema (${name})`, () => {
    const checked = workloads(objects).filter((o) => schemaFor(p, o));
    assert.ok(
      checked.length >= 3,
      `collector, processor, query and setup found: ${checked.map((o) => o.metadata.name).join(', ')}`,
    );
    for (const obj of checked) {
      const known = declared(schemaFor(p, obj)!);
      const unknown = (mainContainer(obj).env ?? []).map((e) => e.name).filter((n) => !known.has(n));
      assert.deepEqual(unknown, [], `${obj.kind}/${obj.metadata.name} sets variables its schema does not declare`);
    }
  });

  test(`every setting in the shared ConfigMap is declared by a service that reads it (${name})`, () => {
    const config = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === namesOf(p).config);
    const keys = Object.keys((config?.['data'] ?? {}) as Record<string, string>);
    assert.ok(keys.length > 0);
    const readers = workloads(objects).filter((o) =>
      mainContainer(o).envFrom?.some((f) => f.configMapRef?.name === namesOf(p).config),
    );
    const schemas = readers.map((o) => schemaFor(p, o)).filter((s) => s !== undefined);
    assert.equal(schemas.length, readers.length, 'only our services read the shared settings');
    const unread = keys.filter((k) => !schemas.some((s) => declared(s).has(k)));
    assert.deepEqual(unread, []);
  });
}
