import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { layoutFor } from './cluster.ts';
import { MIGRATIONS } from './migrations.ts';

// A data directory of an older release holds exactly what these steps created then, and the upgrade tests
// (upgrade.chdb.test.ts, upgrade-v2.chdb.test.ts) build their old directories by running them. Both hold
// only while a shipped step is never edited: a change to the schema is a new step. Each digest covers what a
// step runs on one server and on a cluster (with and without copies), its settings and its description.
const SHIPPED: Readonly<Record<number, string>> = {
  1: '2c1ef3d835693a21',
  2: '653dde5edc5d285c',
  3: '3ea837c06f4152fc',
  4: 'c55ba28199f7ed73',
  5: '03811f642f55690c',
  6: 'f26a8265fb8b432a',
  7: '6677cf7ceb13ea9b',
};

const fingerprint = (version: number): string => {
  const m = MIGRATIONS.find((s) => s.version === version)!;
  const layouts = [
    layoutFor('app', undefined),
    layoutFor('app', { name: 'logs_cluster' }),
    layoutFor('app', { name: 'logs_cluster', replicated: true }),
  ];
  const shape = {
    description: m.description,
    statements: layouts.map((L) => m.statements(L)),
    settings: m.logsSettings,
  };
  return createHash('sha256').update(JSON.stringify(shape)).digest('hex').slice(0, 16);
};

test('a shipped schema step is never edited: changing the schema takes a new step', () => {
  for (const [version, digest] of Object.entries(SHIPPED))
    assert.equal(fingerprint(Number(version)), digest, `schema step ${version} was edited`);
});

test('every schema step is listed as shipped, so the next edit of it is caught', () => {
  const unlisted = MIGRATIONS.filter((m) => SHIPPED[m.version] === undefined).map(
    (m) => `${m.version}: '${fingerprint(m.version)}'`,
  );
  assert.deepEqual(unlisted, [], 'add these to SHIPPED');
});
