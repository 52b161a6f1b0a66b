import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { V1PodSpec, V1StatefulSetSpec } from '@kubernetes/client-node';
import { desired } from './index.ts';
import { KEEPER_START_SCRIPT } from './keeper.ts';
import { context, find, has, mainContainer, pipeline, specOf, templateOf } from './test-pipeline.ts';

const run = promisify(execFile);
const withKeeper = (managed: object, replicas = 2) =>
  pipeline({ clickhouse: { managed: { shards: 2, replicas, keeper: { managed } } } });

interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

/** A strict parser for the XML subset the operator writes (elements, attributes, text): throws on anything else. */
function parseXml(xml: string): XmlElement {
  const root: XmlElement = { name: '', attrs: {}, children: [], text: '' };
  const stack = [root];
  const token = /<(\/?)([A-Za-z_][\w.-]*)((?:\s+[\w.-]+="[^"<&]*")*)\s*(\/?)>|([^<]+)/gy;
  let m: RegExpExecArray | null;
  while (token.lastIndex < xml.length && (m = token.exec(xml))) {
    const [, closing, name, attrText, selfClosing, text] = m;
    const top = stack.at(-1)!;
    if (text !== undefined) {
      if (text.trim()) top.text += text.trim();
      continue;
    }
    if (closing) {
      if (top.name !== name) throw new Error(`</${name}> closes <${top.name}>`);
      stack.pop();
      continue;
    }
    const attrs = Object.fromEntries([...attrText!.matchAll(/([\w.-]+)="([^"]*)"/g)].map((a) => [a[1]!, a[2]!]));
    const el: XmlElement = { name: name!, attrs, children: [], text: '' };
    top.children.push(el);
    if (!selfClosing) stack.push(el);
  }
  if (token.lastIndex !== xml.length)
    throw new Error(`Not XML at offset ${token.lastIndex}: ${xml.slice(token.lastIndex, 40)}`);
  if (stack.length !== 1 || root.children.length !== 1) throw new Error('Unclosed elements or several roots');
  return root.children[0]!;
}

const child = (el: XmlElement, path: string): XmlElement => {
  let at = el;
  for (const name of path.split('.')) {
    const next = at.children.filter((c) => c.name === name);
    if (next.length !== 1) throw new Error(`<${at.name}> has ${next.length} <${name}>`);
    at = next[0]!;
  }
  return at;
};

test('a managed Keeper is a ConfigMap, a headless Service, a Parallel StatefulSet, a PDB and a NetworkPolicy', () => {
  const objects = desired(withKeeper({}), context());
  const sts = specOf<V1StatefulSetSpec>(find(objects, 'StatefulSet', 'demo-keeper'));
  assert.equal(sts.replicas, 3);
  assert.equal(sts.podManagementPolicy, 'Parallel');
  assert.equal(sts.serviceName, 'demo-keeper-headless');
  assert.equal(sts.volumeClaimTemplates![0]!.spec!.resources!.requests!['storage'], '10Gi');
  const keeperContainer = mainContainer(find(objects, 'StatefulSet', 'demo-keeper'));
  assert.equal(keeperContainer.image, 'clickhouse/clickhouse-keeper:25.8');
  assert.deepEqual(keeperContainer.command, ['/bin/sh', '-c', KEEPER_START_SCRIPT]);
  assert.deepEqual(keeperContainer.readinessProbe?.httpGet, { path: '/ready', port: 'control' });
  assert.equal(keeperContainer.securityContext?.readOnlyRootFilesystem, true);

  const headless = specOf<{ clusterIP: string; publishNotReadyAddresses: boolean; ports: { port: number }[] }>(
    find(objects, 'Service', 'demo-keeper-headless'),
  );
  assert.equal(headless.clusterIP, 'None');
  assert.equal(headless.publishNotReadyAddresses, true);
  assert.deepEqual(
    headless.ports.map((p) => p.port),
    [9181, 9234],
  );
  assert.deepEqual(specOf(find(objects, 'PodDisruptionBudget', 'demo-keeper'))['maxUnavailable'], 1);
  const policy = specOf<{ ingress: { ports: { port: number }[] }[] }>(find(objects, 'NetworkPolicy', 'demo-keeper'));
  assert.deepEqual(
    policy.ingress[0]!.ports.map((p) => p.port),
    [9181, 9234],
  );
});

test('the raft configuration names every server by its pod DNS name, ids from 1, its own id from the environment', () => {
  const objects = desired(withKeeper({ replicas: 5 }), context());
  const xml = (find(objects, 'ConfigMap', 'demo-keeper')['data'] as Record<string, string>)['keeper_config.xml']!;
  const config = parseXml(xml);
  assert.equal(config.name, 'clickhouse');
  const server = child(config, 'keeper_server');
  assert.equal(child(server, 'tcp_port').text, '9181');
  assert.deepEqual(child(server, 'server_id').attrs, { from_env: 'KEEPER_SERVER_ID' });
  assert.equal(child(server, 'http_control.readiness.endpoint').text, '/ready');
  assert.match(child(server, 'log_storage_path').text, /^\/var\/lib\/clickhouse-keeper\//);
  const servers = child(server, 'raft_configuration').children.map((s) => ({
    id: child(s, 'id').text,
    host: child(s, 'hostname').text,
    port: child(s, 'port').text,
  }));
  assert.deepEqual(
    servers,
    [0, 1, 2, 3, 4].map((i) => ({
      id: String(i + 1),
      host: `demo-keeper-${i}.demo-keeper-headless.logs.svc`,
      port: '9234',
    })),
  );
  // The data volume is where the config writes; the root filesystem is read-only.
  const mounts = mainContainer(find(objects, 'StatefulSet', 'demo-keeper')).volumeMounts ?? [];
  assert.ok(mounts.some((m) => m.name === 'data' && m.mountPath === '/var/lib/clickhouse-keeper'));
});

test("ClickHouse's zookeeper section names each managed Keeper server's client port", () => {
  const objects = desired(withKeeper({}), context());
  const cluster = parseXml(
    (find(objects, 'ConfigMap', 'demo-clickhouse')['data'] as Record<string, string>)['cluster.xml']!,
  );
  const nodes = child(cluster, 'zookeeper').children.map((n) => `${child(n, 'host').text}:${child(n, 'port').text}`);
  assert.deepEqual(
    nodes,
    [0, 1, 2].map((i) => `demo-keeper-${i}.demo-keeper-headless.logs.svc:9181`),
  );
  assert.equal(child(cluster, 'distributed_ddl.path').text, '/clickhouse/task_queue/ddl');
});

test('no Keeper objects for one server, for Keeper nodes run elsewhere, or for an external ClickHouse', () => {
  for (const p of [
    pipeline(),
    pipeline({ clickhouse: { managed: { replicas: 2, keeper: { nodes: ['k-0.k:9181'] } } } }),
  ]) {
    const objects = desired(p, context());
    assert.equal(has(objects, 'StatefulSet', 'demo-keeper'), false);
    assert.equal(has(objects, 'NetworkPolicy', 'demo-keeper'), false);
  }
});

test('Keeper pods take their own placement and resources', () => {
  const objects = desired(
    withKeeper({
      pod: { nodeSelector: { pool: 'keeper' } },
      resources: { requests: { cpu: '100m', memory: '256Mi' } },
      storage: { size: '5Gi', storageClassName: 'fast' },
    }),
    context(),
  );
  const sts = find(objects, 'StatefulSet', 'demo-keeper');
  assert.deepEqual((templateOf(sts).spec as V1PodSpec).nodeSelector, { pool: 'keeper' });
  assert.equal(mainContainer(sts).resources?.requests?.['cpu'], '100m');
  const claim = specOf<V1StatefulSetSpec>(sts).volumeClaimTemplates![0]!.spec!;
  assert.equal(claim.storageClassName, 'fast');
  assert.equal(claim.resources?.requests?.['storage'], '5Gi');
  // ClickHouse's own placement is not the Keeper's.
  assert.equal(
    (templateOf(find(objects, 'StatefulSet', 'demo-clickhouse-shard-1')).spec as V1PodSpec).nodeSelector,
    undefined,
  );
});

test('the start script takes the server id from the hostname in dash and in busybox sh (the image is Alpine)', async () => {
  const bin = await mkdtemp(join(tmpdir(), 'keeper-start-'));
  try {
    // Stands in for the image's binary: prints what it was started with.
    await writeFile(join(bin, 'clickhouse-keeper'), '#!/bin/sh\necho "id=$KEEPER_SERVER_ID $*"\n');
    await chmod(join(bin, 'clickhouse-keeper'), 0o755);
    for (const shell of [['/bin/sh'], ['/bin/busybox', 'sh']]) {
      const start = (hostname: string) =>
        run(shell[0]!, [...shell.slice(1), '-c', KEEPER_START_SCRIPT], {
          env: { PATH: `${bin}:/usr/bin:/bin`, HOSTNAME: hostname },
        });
      const { stdout } = await start('demo-keeper-2');
      assert.equal(stdout.trim(), 'id=3 --config-file=/etc/clickhouse-keeper/keeper_config.xml', shell.join(' '));
      assert.equal((await start('demo-keeper-0')).stdout.trim().split(' ')[0], 'id=1');
      await assert.rejects(start('keeper'), /cannot take a Keeper server id from hostname keeper/);
    }
  } finally {
    await rm(bin, { recursive: true, force: true });
  }
});
