import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createAlertStore, stateKey, type AlertStore } from './alert-store.ts';
import { migrate } from './migrations.ts';
import { createSavedObjectStore, type SavedObject, type SavedObjectStore } from './saved-objects-store.ts';
import type { OpenedTransport } from './transport-contract.ts';

// Recent: the history table keeps 90 days.
const T = Math.floor(Date.now() / 1000) * 1000 - 3_600_000 + 678;
const object = (id: string, name: string, body = '{}'): SavedObject => ({
  id,
  name,
  body,
  createdAt: T,
  updatedAt: T,
});

/** Registers the saved-object and alert-state tests against a transport. */
export function describeSavedObjectsContract(name: string, open: () => Promise<OpenedTransport>): void {
  describe(`saved objects and alert state on ${name}`, () => {
    const db = `saved_${randomBytes(6).toString('hex')}`;
    let opened: OpenedTransport;
    let saved: SavedObjectStore;
    let alerts: AlertStore;

    before(async () => {
      opened = await open();
      await migrate(opened.transport, db, undefined, opened.storeOptions?.cluster);
      saved = createSavedObjectStore(opened.transport, db);
      alerts = createAlertStore(opened.transport, db);
    });
    after(async () => {
      const nodes = opened?.storeOptions?.cluster?.nodes ?? (opened ? [opened.transport] : []);
      for (const node of nodes) await node.command(`DROP DATABASE IF EXISTS ${db}`).catch(() => {});
      await opened?.close();
    });

    test('an object comes back exactly, listed by name, and only for its tenant and kind', async () => {
      const body = JSON.stringify({ q: 'error "quoted" \\ ünïcode', service: ['api'] });
      await saved.put('acme', 'view', object('v-b', 'beta', body));
      await saved.put('acme', 'view', object('v-a', 'Alpha'));
      await saved.put('acme', 'alert_rule', object('r-1', 'rule'));
      await saved.put('other', 'view', object('v-x', 'theirs'));
      assert.deepEqual(await saved.get('acme', 'view', 'v-b'), object('v-b', 'beta', body));
      assert.deepEqual(
        (await saved.list('acme', 'view')).map((o) => o.id),
        ['v-a', 'v-b'],
      );
      assert.equal(await saved.get('other', 'view', 'v-b'), undefined);
      assert.equal(await saved.get('acme', 'alert_rule', 'v-b'), undefined);
    });

    test('the newest write of an id wins, before and after the parts merge', async () => {
      for (let i = 0; i < 5; i++) await saved.put('acme', 'view', { ...object('v-c', `name ${i}`), updatedAt: T + i });
      const got = await saved.get('acme', 'view', 'v-c');
      assert.equal(got?.name, 'name 4');
      assert.equal(got?.updatedAt, T + 4);
      // Merged where the rows are: each shard's own table on a cluster.
      const cluster = opened.storeOptions?.cluster;
      for (const node of cluster?.nodes ?? [opened.transport])
        await node.command(`OPTIMIZE TABLE ${db}.saved_objects${cluster ? '_local' : ''} FINAL`);
      assert.equal((await saved.get('acme', 'view', 'v-c'))?.name, 'name 4');
      assert.equal((await saved.list('acme', 'view')).filter((o) => o.id === 'v-c').length, 1);
    });

    test('a delete hides the object from every read, and another tenant cannot delete it', async () => {
      await saved.put('acme', 'view', object('v-d', 'doomed'));
      assert.equal(await saved.remove('other', 'view', 'v-d'), false);
      assert.ok(await saved.get('acme', 'view', 'v-d'));
      assert.equal(await saved.remove('acme', 'view', 'v-d'), true);
      assert.equal(await saved.get('acme', 'view', 'v-d'), undefined);
      assert.ok(!(await saved.list('acme', 'view')).some((o) => o.id === 'v-d'));
      assert.ok(!(await saved.listAll('view')).some((o) => o.id === 'v-d'));
      assert.equal(await saved.remove('acme', 'view', 'v-d'), false);
      // Saved again under the same id after its delete: visible again.
      await saved.put('acme', 'view', object('v-d', 'back'));
      assert.equal((await saved.get('acme', 'view', 'v-d'))?.name, 'back');
    });

    test('listAll reads every tenant', async () => {
      const all = await saved.listAll('view');
      assert.ok(all.some((o) => o.tenant === 'other' && o.id === 'v-x'));
      assert.ok(all.some((o) => o.tenant === 'acme' && o.id === 'v-a'));
    });

    test('rule states keep the newest body per rule, per tenant', async () => {
      await alerts.putState('acme', 'r-1', '{"state":"pending"}');
      await alerts.putState('acme', 'r-1', '{"state":"firing"}');
      await alerts.putState('other', 'r-1', '{"state":"inactive"}');
      const acme = await alerts.states('acme');
      assert.deepEqual([...acme], [[stateKey('acme', 'r-1'), '{"state":"firing"}']]);
      const all = await alerts.states();
      assert.equal(all.get(stateKey('other', 'r-1')), '{"state":"inactive"}');
    });

    test('history lists transitions newest first, with their values', async () => {
      await alerts.addTransitions('acme', 'r-1', [
        { at: T, from: 'inactive', to: 'pending', value: 12, threshold: 10 },
        { at: T + 60_000, from: 'pending', to: 'firing', value: 15.5, threshold: 10 },
      ]);
      await alerts.addTransitions('other', 'r-1', [{ at: T, from: 'inactive', to: 'firing', value: 1, threshold: 0 }]);
      assert.deepEqual(await alerts.history('acme', 'r-1', 10), [
        { at: T + 60_000, from: 'pending', to: 'firing', value: 15.5, threshold: 10 },
        { at: T, from: 'inactive', to: 'pending', value: 12, threshold: 10 },
      ]);
      assert.equal((await alerts.history('acme', 'r-1', 1)).length, 1);
    });

    test('a lease is held by one holder until it expires, then another may take it', async () => {
      const now = Date.now();
      assert.equal(
        await alerts.claimLease('evaluator', 'replica-a', 30_000, now),
        false,
        'a claim holds from the next call',
      );
      assert.equal(await alerts.claimLease('evaluator', 'replica-a', 30_000, now + 100), true, 'held after its claim');
      assert.equal(await alerts.claimLease('evaluator', 'replica-b', 30_000, now + 1_000), false);
      assert.equal(await alerts.claimLease('evaluator', 'replica-a', 30_000, now + 10_000), true, 'renewal');
      assert.equal(await alerts.claimLease('evaluator', 'replica-b', 30_000, now + 39_000), false);
      assert.equal(
        await alerts.claimLease('evaluator', 'replica-b', 30_000, now + 40_001),
        false,
        'claimed once expired',
      );
      assert.equal(await alerts.claimLease('evaluator', 'replica-a', 30_000, now + 41_000), false, 'taken over');
      assert.equal(await alerts.claimLease('evaluator', 'replica-b', 30_000, now + 42_000), true);
    });

    test('a released lease may be claimed at once; a release by a holder that lost the lease changes nothing', async () => {
      const now = Date.now();
      assert.equal(await alerts.lease('handover'), undefined);
      await alerts.claimLease('handover', 'replica-a', 30_000, now);
      assert.equal(await alerts.claimLease('handover', 'replica-a', 30_000, now + 100), true);
      assert.deepEqual(await alerts.lease('handover'), { holder: 'replica-a', expiresAt: now + 30_100 });
      await alerts.releaseLease('handover', 'replica-b', now + 200);
      assert.equal(await alerts.claimLease('handover', 'replica-b', 30_000, now + 300), false, 'still held by a');
      await alerts.releaseLease('handover', 'replica-a', now + 400);
      assert.deepEqual(await alerts.lease('handover'), { holder: 'replica-a', expiresAt: now + 400 });
      assert.equal(await alerts.claimLease('handover', 'replica-b', 30_000, now + 500), false, 'claimed after release');
      assert.equal(await alerts.claimLease('handover', 'replica-b', 30_000, now + 600), true);
      await alerts.releaseLease('handover', 'replica-a', now + 700);
      assert.equal(await alerts.claimLease('handover', 'replica-a', 30_000, now + 800), false, 'b keeps it');
      assert.equal(await alerts.claimLease('handover', 'replica-b', 30_000, now + 900), true);
    });

    test('of two replicas that claim a free lease at once, the same one holds it for both', async () => {
      const now = Date.now();
      const claims = await Promise.all(['x', 'y'].map((holder) => alerts.claimLease('race', holder, 30_000, now)));
      assert.deepEqual(claims, [false, false], 'nobody evaluates on a claim');
      const next = await Promise.all(['x', 'y'].map((holder) => alerts.claimLease('race', holder, 30_000, now + 100)));
      assert.deepEqual(next.filter(Boolean).length, 1, `both or neither hold it: ${next}`);
    });
  });
}
