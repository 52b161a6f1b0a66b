import { test } from 'node:test';
import assert from 'node:assert/strict';
import { desired } from './index.ts';
import { context, envVar, find, has, mainContainer, pipeline, specOf } from './test-pipeline.ts';

const spec = { processor: { minReplicas: 2, maxReplicas: 5, lagThreshold: 2500 } };

test('with KEDA: a kafka-lag ScaledObject with string metadata, and no HorizontalPodAutoscaler', () => {
  const objects = desired(pipeline({ ...spec, kafka: { cluster: 'main' } }), context({ keda: true }));
  assert.equal(has(objects, 'HorizontalPodAutoscaler'), false);
  const so = find(objects, 'ScaledObject', 'demo-processor');
  assert.equal(so.apiVersion, 'keda.sh/v1alpha1');
  assert.deepEqual(so['spec'], {
    scaleTargetRef: { name: 'demo-processor' },
    minReplicaCount: 2,
    maxReplicaCount: 5,
    triggers: [
      {
        type: 'kafka',
        metadata: {
          bootstrapServers: 'main-kafka-bootstrap:9092',
          consumerGroup: 'demo-processor',
          topic: 'demo-logs',
          lagThreshold: '2500',
        },
      },
    ],
  });
});

test('without KEDA: a CPU HorizontalPodAutoscaler at 70%, and no ScaledObject', () => {
  const objects = desired(pipeline(spec), context({ keda: false }));
  assert.equal(has(objects, 'ScaledObject'), false);
  const hpa = find(objects, 'HorizontalPodAutoscaler', 'demo-processor');
  assert.equal(hpa.apiVersion, 'autoscaling/v2');
  assert.deepEqual(hpa['spec'], {
    scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'demo-processor' },
    minReplicas: 2,
    maxReplicas: 5,
    metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }],
  });
});

test('the processor Deployment leaves replicas to its autoscaler in both branches', () => {
  for (const keda of [true, false]) {
    assert.equal(
      'replicas' in specOf(find(desired(pipeline(spec), context({ keda })), 'Deployment', 'demo-processor')),
      false,
    );
  }
});

test('the processor consumes as group <name>-processor with the spec’s batch limits and key window', () => {
  const c = mainContainer(
    find(
      desired(
        pipeline({ processor: { batch: { maxRows: 1234, maxWaitMs: 750 }, idempotencyWindowSeconds: 3600 } }),
        context(),
      ),
      'Deployment',
      'demo-processor',
    ),
  );
  assert.equal(envVar(c, 'KAFKA_GROUP_ID')?.value, 'demo-processor');
  assert.equal(envVar(c, 'BATCH_MAX_ROWS')?.value, '1234');
  assert.equal(envVar(c, 'BATCH_MAX_WAIT_MS')?.value, '750');
  assert.equal(envVar(c, 'IDEMPOTENCY_WINDOW_S')?.value, '3600');
  assert.equal(
    envVar(mainContainer(find(desired(pipeline(), context()), 'Deployment', 'demo-processor')), 'IDEMPOTENCY_WINDOW_S')
      ?.value,
    '600',
  );
  assert.equal(envVar(c, 'PORT')?.value, '8083');
  assert.deepEqual(c.envFrom, [{ configMapRef: { name: 'demo-pipeline' } }]);
});

test('the processor has a Service on its port so its metrics can be scraped', () => {
  const svc = find(desired(pipeline(), context()), 'Service', 'demo-processor');
  assert.deepEqual(specOf(svc)['ports'], [{ name: 'http', port: 8083, targetPort: 8083 }]);
});
