import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { CoreV1Api, CustomObjectsApi, type V1Pod } from '@kubernetes/client-node';
import { waitUntil, type ClickHouseServer, type KubeNode } from '@instant-logs/testbed';
import type { Page } from 'playwright-core';
import { launchChromium } from '../dashboard/e2e/harness.ts';

// The pieces of kubelet-e2e.test.ts that are not steps of it: the pods it runs, and what it waits for.

export const SYSTEM_NS = 'instant-logs-system';
export const NS = 'logs';
export const PIPELINE = 'e2e';
export const GROUP = 'logging.instantdev.io';
export const VERSION = 'v1alpha1';
export const CH_USER = { name: 'logs', password: 'e2e-password' };

export async function waitForPipelineReady(node: KubeNode): Promise<void> {
  const custom = node.controlPlane.kubeConfig.makeApiClient(CustomObjectsApi);
  await waitUntil(
    'the LogPipeline to report Ready',
    async () => {
      const p = (await custom.getNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: NS,
        plural: 'logpipelines',
        name: PIPELINE,
      })) as { metadata?: { generation?: number }; status?: { conditions?: Condition[] } };
      const ready = p.status?.conditions?.find((c) => c.type === 'Ready');
      return ready?.status === 'True' && ready.observedGeneration === p.metadata?.generation;
    },
    120_000,
    500,
  );
}

interface Condition {
  type: string;
  status: string;
  observedGeneration?: number;
}

export async function storedBodies(clickhouse: ClickHouseServer, run: string): Promise<Set<string>> {
  const sql = `SELECT DISTINCT body FROM instant_logs.logs WHERE startsWith(body, {run:String}) FORMAT TSV`;
  const url = `${clickhouse.url}/?param_run=${encodeURIComponent(run)}`;
  const auth = Buffer.from(`${CH_USER.name}:${CH_USER.password}`).toString('base64');
  const res = await fetch(url, { method: 'POST', body: sql, headers: { authorization: `Basic ${auth}` } });
  if (!res.ok) throw new Error(`ClickHouse: ${res.status} ${await res.text()}`);
  return new Set((await res.text()).split('\n').filter(Boolean));
}

export function splitImage(name: string): [string, string] {
  const i = name.lastIndexOf(':');
  return [name.slice(0, i), name.slice(i + 1)];
}

/** A pod that posts `batches` batches of 10 records, retrying each until the collector accepts it. */
export function senderPod(name: string, image: string, collectorUrl: string, run: string, batches: number): V1Pod {
  const script = `
const [url, run, total] = [process.env.COLLECTOR_URL + '/api/v1/logs', process.env.RUN, Number(process.env.BATCHES)];
for (let i = 0; i < total; i++) {
  const records = Array.from({ length: 10 }, (_, j) => ({ service: 'e2e', level: 'info', message: run + ' batch=' + i + ' n=' + j }));
  for (;;) {
    try {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(records), signal: AbortSignal.timeout(5000) });
      if (res.ok) break;
      console.log('refused ' + i + ' ' + res.status);
    } catch (err) {
      console.log('failed ' + i + ' ' + err.message);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  console.log('acked ' + i);
}
console.log('done');
`;
  return {
    metadata: { name, namespace: NS },
    spec: {
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 0,
      containers: [
        {
          name: 'sender',
          image,
          imagePullPolicy: 'Never',
          command: ['node', '--input-type=module', '-e', script],
          env: [
            { name: 'COLLECTOR_URL', value: collectorUrl },
            { name: 'RUN', value: run },
            { name: 'BATCHES', value: String(batches) },
          ],
        },
      ],
    },
  };
}

export async function waitForSender(core: CoreV1Api, name: string, batches: number): Promise<Set<number>> {
  await waitUntil(
    `pod ${name} to finish`,
    async () => {
      const p = await core.readNamespacedPod({ name, namespace: NS });
      if (p.status?.phase === 'Failed') throw new Error(`pod ${name} failed`);
      return p.status?.phase === 'Succeeded';
    },
    batches * 10_000,
    250,
  );
  const log = await core.readNamespacedPodLog({ name, namespace: NS });
  assert.match(log, /^done$/m);
  return new Set([...log.matchAll(/^acked (\d+)$/gm)].map((m) => Number(m[1])));
}

// Through the API server's proxy to the query Service (kubectl get --raw), as `kubectl proxy` would serve it.
export async function waitForRecords(
  kubectl: (args: string[]) => Promise<string>,
  run: string,
  expected: number,
): Promise<number> {
  const path =
    `/api/v1/namespaces/${NS}/services/http:${PIPELINE}-query:8082/proxy/api/v1/logs` +
    `?from=now-1h&limit=1000&q=${encodeURIComponent(`"${run}"`)}`;
  return waitUntil(
    `${expected} records of ${run} through the query service`,
    async () => {
      const out = await kubectl(['get', '--raw', path]).catch(() => '{}');
      const n = (JSON.parse(out) as { records?: unknown[] }).records?.length ?? 0;
      return n >= expected && n;
    },
    120_000,
    500,
  );
}

export async function waitForReadyPods(
  core: CoreV1Api,
  namespace: string,
  count: number,
  timeoutMs: number,
  labelSelector?: string,
): Promise<void> {
  await waitUntil(
    `${count} Ready pods in ${namespace}`,
    async () => {
      const list = await core.listNamespacedPod({ namespace, labelSelector });
      const pods = list.items.filter((p) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp);
      const ready = pods.filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
      return ready.length >= count && ready.length === pods.length;
    },
    timeoutMs,
    500,
  );
}

export function exec(file: string, args: string[], input = ''): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
    child.once('error', reject);
    child.once('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${file} ${args.join(' ')}: exit ${code}\n${err.trim()}`)),
    );
    child.stdin.end(input);
  });
}

/** Runs `fn` on a new page of Debian's Chromium, failing on any error the page throws. */
export async function inChromium(fn: (page: Page) => Promise<void>): Promise<void> {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    page.on('pageerror', (err) => assert.fail(`page error: ${err.message}`));
    await fn(page);
  } finally {
    await browser.close();
  }
}
