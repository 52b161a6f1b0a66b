import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startTestPipeline } from '../../services/embedded/src/test-pipeline.ts';
import type { EmbeddedPipeline } from '../../services/embedded/src/app.ts';
import { webhookReceiver } from '../../services/query/src/alerts/receiver.ts';
import { waitUntil } from '@instant-logs/testbed';
import { DASHBOARD_DIR, ensureDashboardBuilt, launchChromium, SCREENSHOT_DIR, postRecords, ago } from './harness.ts';

// Saved views and alert rules in the browser, at a desk and on a phone, on the real embedded pipeline
// (alert rules evaluated every 200 ms) and a real webhook receiver.
const README_SHOTS = join(DASHBOARD_DIR, '..', 'docs', 'screenshots');
const VIEWPORTS = { desktop: { width: 1440, height: 900 }, phone: { width: 390, height: 844 } } as const;
let pipeline: EmbeddedPipeline;
let browser: Browser;
let base: string;
const receiver = webhookReceiver();

const ingest = (records: object[]) => postRecords(base, records);

before(async () => {
  mkdirSync(README_SHOTS, { recursive: true });
  await receiver.start();
  [pipeline, browser] = await Promise.all([
    ensureDashboardBuilt().then(() => startTestPipeline({ alerting: { intervalMs: 200 } })),
    launchChromium(),
  ]);
  base = await pipeline.app.listen({ host: '127.0.0.1', port: 0 });
  await ingest([
    ...Array.from({ length: 6 }, (_, i) => ({
      timestamp: ago(60_000 + i * 1000),
      service: 'payments',
      level: 'error',
      message: `payment failed: card declined for order A-${1000 + i}`,
      attributes: { region: i % 2 ? 'eu-west' : 'us-east' },
    })),
    ...Array.from({ length: 20 }, (_, i) => ({
      timestamp: ago(30_000 + i * 1000),
      service: 'gateway',
      level: 'info',
      message: `GET /api/items/${i} answered 200`,
    })),
  ]);
});

after(async () => {
  await browser?.close();
  await pipeline?.close();
  await receiver.stop();
});

async function open(path: string, viewport: (typeof VIEWPORTS)[keyof typeof VIEWPORTS]): Promise<Page> {
  const context = await browser.newContext({ viewport, colorScheme: 'light' });
  const page = await context.newPage();
  page.on('pageerror', (err) => assert.fail(`page error: ${err.message}`));
  await page.goto(`${base}${path}`);
  return page;
}
const shot = async (page: Page, name: string, readme?: string) => {
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`) });
  if (readme) await page.screenshot({ path: join(README_SHOTS, `${readme}.png`) });
};
const rowsShown = (page: Page, n: number) =>
  page.waitForFunction((count) => document.querySelectorAll('[data-testid=log-row]').length === count, n);
const params = (page: Page) => Object.fromEntries(new URL(page.url()).searchParams);

for (const [device, viewport] of Object.entries(VIEWPORTS)) {
  describe(`saved views and alerts on a ${device} (${viewport.width}×${viewport.height})`, () => {
    test('the search is saved as a view, its link reopens it after a reload, the menu opens and deletes it', async () => {
      const name = `Payment failures (${device})`;
      const page = await open(
        '/?q=%22payment+failed%22&from=now-1h&level=error&col=time&col=message&col=attributes.region',
        viewport,
      );
      await page.getByTestId('log-row').first().waitFor();
      await page.getByTestId('views-button').click();
      await page.getByTestId('view-name').fill(name);
      await page.getByTestId('view-save').click();
      const link = await page.getByTestId('view-link').inputValue();
      assert.match(link, new RegExp(`^${base}/\\?view=[A-Za-z0-9_-]{22}$`));
      await page.getByTestId('view-item').filter({ hasText: name }).waitFor();
      await shot(page, `saved-views-${device}`, device === 'desktop' ? 'saved-views' : undefined);

      // The link, opened fresh: the dashboard asks for the view and shows its search.
      const shared = await open(new URL(link).search, viewport);
      await shared.waitForURL((url) => url.searchParams.get('q') === '"payment failed"');
      assert.deepEqual(params(shared), {
        q: '"payment failed"',
        from: 'now-1h',
        level: 'error',
        col: 'attributes.region',
      });
      assert.deepEqual(new URL(shared.url()).searchParams.getAll('col'), ['time', 'message', 'attributes.region']);
      await rowsShown(shared, 6);
      await shared.reload();
      await rowsShown(shared, 6);
      assert.equal(params(shared)['q'], '"payment failed"', 'a reload keeps the view');
      await shared.context().close();

      // From a blank search, the menu opens the view.
      await page.goto(`${base}/`);
      await page.getByTestId('log-row').first().waitFor();
      await page.getByTestId('views-button').click();
      await page.getByTestId('view-item').filter({ hasText: name }).getByTestId('view-open').click();
      await page.waitForURL((url) => url.searchParams.get('q') === '"payment failed"');
      await rowsShown(page, 6);

      await page.getByTestId('views-button').click();
      await page.getByTestId('view-item').filter({ hasText: name }).getByTestId('view-delete').click();
      await page.getByTestId('view-item').filter({ hasText: name }).waitFor({ state: 'detached' });
      await page.context().close();
    });

    test('an alert rule made from the current search goes firing in the list, and its history shows it', async () => {
      const name = `Payments failing (${device})`;
      const page = await open('/?q=%22payment+failed%22&service=payments', viewport);
      await page.getByTestId('log-row').first().waitFor();
      await page.getByTestId('alerts-button').click();
      await page.getByTestId('rule-search').filter({ hasText: 'service payments' }).waitFor();
      await page.getByTestId('rule-name').fill(name);
      await page.getByTestId('rule-threshold').fill('3');
      await page.getByTestId('rule-window').fill('10');
      await page.getByTestId('rule-type').selectOption('json');
      await page.getByTestId('rule-url').fill(`${receiver.url}/hook/${device}`);
      await page.getByTestId('rule-create').click();
      const rule = page.getByTestId('rule-item').filter({ hasText: name });
      await rule.getByTestId('rule-state').filter({ hasText: 'firing' }).waitFor({ timeout: 15_000 });
      assert.equal(await rule.getByTestId('rule-value').textContent(), '6');
      await rule.getByTestId('rule-history').click();
      await rule.getByTestId('rule-transitions').filter({ hasText: 'inactive → firing' }).waitFor();
      await shot(page, `alerts-${device}`, device === 'desktop' ? 'alerts' : undefined);

      const delivered = receiver.received.find((r) => r.path === `/hook/${device}`);
      assert.ok(delivered, 'the webhook received the firing rule');
      const body = delivered.body as { state: string; rule: { name: string; q: string; service: string[] } };
      assert.deepEqual(
        [body.state, body.rule.name, body.rule.q, body.rule.service],
        ['firing', name, '"payment failed"', ['payments']],
      );

      // The rule's search over its window, from the list.
      await page.goto(`${base}/`);
      await page.getByTestId('alerts-button').click();
      await rule.getByTestId('rule-open').click();
      await page.waitForURL((url) => url.searchParams.get('from') === 'now-10m');
      assert.deepEqual(params(page), { q: '"payment failed"', from: 'now-10m', service: 'payments' });
      await rowsShown(page, 6);

      await page.getByTestId('alerts-button').click();
      await rule.getByTestId('rule-delete').click();
      await rule.waitFor({ state: 'detached' });
      await page.context().close();
    });

    test('a rise rule made in the form shows its factor and the count before, and fires on a new pattern', async () => {
      const name = `Payments rising (${device})`;
      const page = await open('/?q=%22payment+failed%22&service=payments', viewport);
      await page.getByTestId('alerts-button').click();
      await page.getByTestId('rule-search').filter({ hasText: 'service payments' }).waitFor();
      await page.getByTestId('rule-name').fill(name);
      await page.getByTestId('rule-op').selectOption('rise');
      await page.getByTestId('rule-factor').fill('2.5');
      await page.getByTestId('rule-threshold').fill('3');
      await page.getByTestId('rule-window').fill('10');
      await page.getByTestId('rule-type').selectOption('json');
      await page.getByTestId('rule-url').fill(`${receiver.url}/rise/${device}`);
      await page.getByTestId('rule-create').click();
      const rule = page.getByTestId('rule-item').filter({ hasText: name });
      assert.equal(await rule.getByTestId('rule-condition').textContent(), 'count rises ×2.5 (and > 3)');
      // The six records are all in the last 10 minutes, none in the 10 before: a rise from nothing.
      await rule.getByTestId('rule-state').filter({ hasText: 'firing' }).waitFor({ timeout: 15_000 });
      assert.equal(await rule.getByTestId('rule-value').textContent(), '6');
      assert.equal(await rule.getByTestId('rule-previous').textContent(), '0');
      await shot(page, `alerts-rise-${device}`);
      const delivered = await waitUntil('the rise notification', () =>
        receiver.received.find((r) => r.path === `/rise/${device}`),
      );
      const body = delivered.body as { op: string; value: number; previous_value: number; factor: number };
      assert.deepEqual([body.op, body.value, body.previous_value, body.factor], ['rise', 6, 0, 2.5]);
      await rule.getByTestId('rule-delete').click();
      await rule.waitFor({ state: 'detached' });
      await page.context().close();
    });
  });
}
