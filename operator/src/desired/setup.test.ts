import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1JobSpec } from '@kubernetes/client-node';
import { desired, setupJobName } from './index.ts';
import { context, envVar, mainContainer, pipeline, specOf } from './test-pipeline.ts';

const jobOf = (spec = {}) => desired(pipeline(spec), context()).find((o) => o.kind === 'Job')!;

test('the setup Job is named <name>-setup-<8 hex digits>', () => {
  assert.match(jobOf().metadata.name, /^demo-setup-[0-9a-f]{8}$/);
  assert.equal(jobOf().metadata.name, setupJobName(pipeline()));
});

test('the setup Job name changes when retentionDays changes', () => {
  assert.notEqual(jobOf({ retentionDays: 30 }).metadata.name, jobOf({ retentionDays: 90 }).metadata.name);
});

test('the setup Job name is stable when nothing it runs with changes', () => {
  const name = jobOf().metadata.name;
  assert.equal(jobOf().metadata.name, name);
  assert.equal(
    jobOf({ collector: { replicas: 7 }, dashboard: { enabled: false }, processor: { maxReplicas: 3 } }).metadata.name,
    name,
  );
  assert.equal(
    desired(pipeline(), context({ keda: true, prometheusOperator: true }, 'another-password')).find(
      (o) => o.kind === 'Job',
    )!.metadata.name,
    name,
  );
});

test('the setup Job runs the migration entry point of the processor image once to success', () => {
  const job = jobOf();
  const spec = specOf<V1JobSpec>(job);
  const c = mainContainer(job);
  assert.deepEqual(c.command, ['node', 'services/processor/src/setup/main.ts']);
  assert.equal(c.image, pipeline().spec.images.processor);
  assert.equal(spec.template.spec!.restartPolicy, 'OnFailure');
  assert.equal(typeof spec.backoffLimit, 'number');
  assert.equal('ttlSecondsAfterFinished' in spec, false);
  assert.equal(c.livenessProbe, undefined);
  assert.equal(c.ports, undefined);
});

test('the setup Job gets the ClickHouse connection and the retention', () => {
  const c = mainContainer(jobOf({ retentionDays: 14 }));
  assert.equal(envVar(c, 'CLICKHOUSE_URL')?.value, 'http://demo-clickhouse:8123');
  assert.equal(envVar(c, 'CLICKHOUSE_DATABASE')?.value, 'instant_logs');
  assert.deepEqual(envVar(c, 'CLICKHOUSE_PASSWORD')?.valueFrom, {
    secretKeyRef: { name: 'demo-clickhouse-credentials', key: 'password' },
  });
  assert.equal(envVar(c, 'RETENTION_DAYS')?.value, '14');
});
