import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import type { Browser, Page } from 'playwright-core';
import { startTestPipeline } from '../../services/embedded/src/test-pipeline.ts';
import type { EmbeddedPipeline } from '../../services/embedded/src/app.ts';
import { ensureDashboardBuilt, launchChromium, SCREENSHOT_DIR, postRecords, ago } from './harness.ts';

// Everything here runs against the real embedded pipeline (collector → processor → chdb → query)
// serving the real Vite build, driven in Debian's Chromium.
let pipeline: EmbeddedPipeline;
let browser: Browser;
let base: string;
// Every WebSocket the server accepts, so a test can cut them as a network failure would.
const upgraded = new Set<Duplex>();
const TRACE = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';

const ingest = (records: object[]) => postRecords(base, records);

before(async () => {
  [pipeline, browser] = await Promise.all([ensureDashboardBuilt().then(() => startTestPipeline()), launchChromium()]);
  base = await pipeline.app.listen({ host: '127.0.0.1', port: 0 });
  pipeline.app.server.on('upgrade', (_request, socket: Duplex) => {
    upgraded.add(socket);
    socket.on('close', () => upgraded.delete(socket));
  });
  const minute = 60_000;
  await ingest([
    // An early cluster the histogram brush test zooms into.
    ...Array.from({ length: 20 }, (_, i) => ({
      timestamp: ago(13 * minute + i * 1000),
      service: 'archive',
      level: 'info',
      message: `archived batch ${i}`,
    })),
    {
      timestamp: ago(5 * minute),
      service: 'checkout',
      level: 'info',
      message: 'order placed A-1001',
      trace_id: TRACE,
      attributes: { order_id: 'A-1001' },
    },
    {
      timestamp: ago(5 * minute - 200),
      service: 'payments',
      level: 'error',
      message: 'payment failed: card declined',
      trace_id: TRACE,
      attributes: { provider: 'big bank', http: { status_code: 402 } },
    },
    {
      timestamp: ago(5 * minute - 400),
      service: 'checkout',
      level: 'warn',
      message: 'card declined for order A-1001',
      trace_id: TRACE,
    },
    {
      timestamp: ago(4 * minute),
      service: 'payments',
      level: 'info',
      message: 'payment captured',
      attributes: { provider: 'stripe' },
    },
    { timestamp: ago(3 * minute), service: 'inventory', level: 'debug', message: 'stock check for sku-7' },
    // Enough rows that only a virtualised table stays fast, and that paging by cursor is needed.
    ...Array.from({ length: 3000 }, (_, i) => ({
      timestamp: ago(10 * minute - i * 150),
      service: 'gateway',
      level: i % 50 === 0 ? 'warn' : 'info',
      message: `GET /api/items/${i} 200 in ${i % 97} ms`,
      attributes: { http: { method: i % 3 ? 'GET' : 'POST', status_code: 200 }, region: i % 2 ? 'eu-west' : 'us-east' },
    })),
  ]);
});

after(async () => {
  await browser?.close();
  await pipeline?.close();
});

async function open(path = '/', theme: 'light' | 'dark' = 'light'): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, colorScheme: theme });
  const page = await context.newPage();
  page.on('pageerror', (err) => assert.fail(`page error: ${err.message}`));
  await page.goto(`${base}${path}`);
  return page;
}

const rowTexts = (page: Page, testId: string) => page.getByTestId('log-row').getByTestId(testId).allTextContents();
const urlParams = (page: Page) => new URL(page.url()).searchParams;
const shot = (page: Page, name: string) => page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`) });

describe('the log explorer', () => {
  test('loads with the histogram, facets and the newest rows, rendering only the rows in view', async () => {
    const page = await open();
    await page.getByTestId('log-row').first().waitFor();
    await page.locator('[data-testid=histogram] canvas').first().waitFor();
    await page.getByTestId('facet-service').getByText('gateway').waitFor();
    await page.getByTestId('total').filter({ hasText: '3,025 logs in range' }).waitFor();
    assert.equal(await page.getByTestId('results').getAttribute('data-count'), '200');
    const rendered = await page.getByTestId('log-row').count();
    assert.ok(rendered > 10 && rendered < 80, `${rendered} rows in the DOM`);
    await shot(page, 'explorer-light');
    await page.close();
  });

  test('a search shows only the matching rows and is kept in the URL', async () => {
    const page = await open();
    await page.keyboard.press('/');
    await page.keyboard.type('declined');
    await page.keyboard.press('Enter');
    await page.waitForFunction(
      () => document.querySelector('[data-testid=results]')?.getAttribute('data-count') === '2',
    );
    assert.deepEqual((await rowTexts(page, 'row-message')).sort(), [
      'card declined for order A-1001',
      'payment failed: card declined',
    ]);
    assert.equal(urlParams(page).get('q'), 'declined');
    await page.close();
  });

  test('a syntax error is shown inline, pointing at its position, before anything is sent', async () => {
    const page = await open('/', 'dark');
    await page.getByTestId('log-row').first().waitFor();
    await page.getByTestId('search-input').fill('timeout service:');
    const error = page.getByTestId('syntax-error');
    await error.waitFor();
    assert.match((await error.textContent()) ?? '', /missing value after "service:" at column 17/);
    assert.equal(await page.getByTestId('search-run').isDisabled(), true);
    await page.keyboard.press('Enter');
    assert.equal(urlParams(page).get('q'), null);
    await shot(page, 'syntax-error-dark');
    await page.close();
  });

  test('brushing the histogram zooms the time range to the selection', async () => {
    const page = await open();
    await page.getByTestId('log-row').first().waitFor();
    const box = (await page.getByTestId('histogram').boundingBox())!;
    // The plot spans the grid (44 px left, 16 px right) over the last 15 minutes; drag over minutes 14¼ to 12 ago.
    const plotLeft = box.x + 44;
    const plotWidth = box.width - 44 - 16;
    const y = box.y + box.height / 2;
    await page.mouse.move(plotLeft + plotWidth * 0.05, y);
    await page.mouse.down();
    await page.mouse.move(plotLeft + plotWidth * 0.12, y, { steps: 5 });
    await page.mouse.move(plotLeft + plotWidth * 0.2, y, { steps: 5 });
    await page.mouse.up();
    await page.waitForFunction(() => new URL(location.href).searchParams.get('from')?.includes('T'));
    const from = Date.parse(urlParams(page).get('from')!);
    const to = Date.parse(urlParams(page).get('to')!);
    assert.ok(to - from > 60_000 && to - from < 4 * 60_000, `zoomed to ${to - from} ms`);
    await page.waitForFunction(
      () => document.querySelector('[data-testid=results]')?.getAttribute('data-count') === '20',
    );
    const messages = await rowTexts(page, 'row-message');
    assert.ok(
      messages.every((m) => m.startsWith('archived batch')),
      messages.join('\n'),
    );
    assert.match((await page.getByTestId('range-button').textContent()) ?? '', /→/);
    await page.close();
  });

  test('clicking a facet value adds it to the query and filters the rows', async () => {
    const page = await open();
    await page
      .getByTestId('facet-service')
      .getByRole('button', { name: /payments/ })
      .first()
      .click();
    await page.waitForFunction(
      () => document.querySelector('[data-testid=results]')?.getAttribute('data-count') === '2',
    );
    assert.equal(urlParams(page).get('q'), 'service:payments');
    assert.deepEqual(await page.getByTestId('log-row').locator('.cell-service').allTextContents(), [
      'payments',
      'payments',
    ]);
    await page.close();
  });

  test('a row opens to all its fields, a value filters, and the trace id links to every log of the trace', async () => {
    const page = await open('/?q=service%3Apayments%20failed', 'dark');
    await page.getByTestId('log-row').first().click();
    const detail = page.getByTestId('record-detail');
    await detail.waitFor();
    assert.equal(await detail.locator('tr[data-field="provider"] .detail-value').textContent(), 'big bank');
    assert.equal(await detail.locator('tr[data-field="http.status_code"] .detail-value').textContent(), '402');
    assert.ok((await detail.getByTestId('copy').count()) > 5);
    await shot(page, 'row-detail-dark');

    await detail.locator('tr[data-field="provider"]').getByTestId('filter-value').click();
    await page.waitForFunction(() =>
      new URL(location.href).searchParams.get('q')?.includes('attributes.provider:"big bank"'),
    );

    await page.getByTestId('log-row').first().click();
    await page.getByTestId('trace-link').click();
    await page.waitForFunction(
      () => document.querySelector('[data-testid=results]')?.getAttribute('data-count') === '3',
    );
    assert.equal(urlParams(page).get('q'), `trace_id:${TRACE}`);
    assert.deepEqual((await page.getByTestId('log-row').locator('.cell-service').allTextContents()).sort(), [
      'checkout',
      'checkout',
      'payments',
    ]);
    await page.close();
  });

  test('scrolling to the end fetches the next page by cursor', async () => {
    const page = await open('/?service=gateway');
    const results = page.getByTestId('results');
    await page.getByTestId('log-row').first().waitFor();
    assert.equal(await results.getAttribute('data-count'), '200');
    await results.evaluate((el) => el.scrollTo({ top: el.scrollHeight }));
    await page.waitForFunction(
      () => document.querySelector('[data-testid=results]')?.getAttribute('data-count') === '400',
    );
    await page.close();
  });

  test('live tail shows a record ingested now within a second, and resumes after a pause or a dropped connection without gaps or duplicates', async () => {
    const page = await open('/?live=1');
    await page.locator('[data-testid=tail-bar][data-state=live]').waitFor();
    await page.getByText('Waiting for new logs').waitFor();

    const sent = Date.now();
    await ingest([{ service: 'checkout', level: 'error', message: 'live record one' }]);
    await page.getByTestId('row-message').filter({ hasText: 'live record one' }).waitFor({ timeout: 1000 });
    const elapsed = Date.now() - sent;
    assert.ok(elapsed < 1000, `appeared after ${elapsed} ms`);
    await page.waitForFunction(() => document.querySelector('[data-testid=tail-rate]')?.textContent !== '0.0 logs/s');

    await page.getByTestId('tail-pause').click();
    await page.locator('[data-testid=tail-bar][data-state=paused]').waitFor();
    await ingest([{ service: 'checkout', level: 'info', message: 'live record two, sent while paused' }]);
    await page.getByTestId('tail-resume').click();
    await page.getByTestId('row-message').filter({ hasText: 'live record two' }).waitFor({ timeout: 2000 });
    assert.deepEqual(await rowTexts(page, 'row-message'), ['live record one', 'live record two, sent while paused']);
    await ingest([{ service: 'payments', level: 'warn', message: 'live record three' }]);
    await page.getByTestId('row-message').filter({ hasText: 'live record three' }).waitFor({ timeout: 1000 });
    await shot(page, 'live-tail-light');

    // Drop the connection under the page: it reconnects with backoff from its last position, so
    // the record stored meanwhile arrives once and nothing before it comes again.
    for (const socket of upgraded) socket.destroy();
    await page.locator('[data-testid=tail-bar][data-state=reconnecting]').waitFor();
    await ingest([{ service: 'payments', level: 'info', message: 'live record four, sent while disconnected' }]);
    await page.locator('[data-testid=tail-bar][data-state=live]').waitFor({ timeout: 5000 });
    await page.getByTestId('row-message').filter({ hasText: 'live record four' }).waitFor({ timeout: 2000 });
    assert.deepEqual(await rowTexts(page, 'row-message'), [
      'live record one',
      'live record two, sent while paused',
      'live record three',
      'live record four, sent while disconnected',
    ]);
    await page.getByTestId('theme-toggle').click();
    await page.waitForFunction(() => document.documentElement.dataset.theme === 'dark');
    await shot(page, 'live-tail-dark');
    await page.close();
  });

  test('the main view in the dark theme', async () => {
    const page = await open('/?q=-service%3Agateway');
    await page.getByTestId('log-row').first().waitFor();
    await page.getByTestId('theme-toggle').click();
    await page.waitForFunction(() => document.documentElement.dataset.theme === 'dark');
    await page.getByTestId('range-button').click();
    await page.getByTestId('range-popover').waitFor();
    await shot(page, 'explorer-dark-range-picker');
    await page.getByRole('button', { name: 'Last 1 hour' }).click();
    await page.waitForFunction(() => new URL(location.href).searchParams.get('from') === 'now-1h');
    await page.getByTestId('level-chip-info').click();
    await page.waitForFunction(
      () => new URL(location.href).searchParams.getAll('level').join() === 'trace,debug,warn,error,fatal',
    );
    await page.getByTestId('log-row').first().waitFor();
    await shot(page, 'explorer-dark');
    await page.close();
  });
});

describe('the log explorer with API keys on', () => {
  const KEY = 'dashboard-e2e-key-0123456789';
  let secured: EmbeddedPipeline;
  let securedBase: string;
  before(async () => {
    secured = await startTestPipeline({ apiKeys: `${KEY}:acme` });
    securedBase = await secured.app.listen({ host: '127.0.0.1', port: 0 });
    const res = await fetch(`${securedBase}/api/v1/logs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
      body: JSON.stringify({ service: 'billing', level: 'info', message: 'invoice sent to tenant acme' }),
    });
    assert.equal(res.status, 202);
  });
  after(() => secured.close());

  test('asks for a key, then searches and tails with it', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(`${securedBase}/`);
    const prompt = page.getByTestId('api-key');
    await prompt.waitFor();
    await prompt.getByRole('textbox').fill(KEY);
    await prompt.getByRole('button').click();
    await page.getByTestId('row-message').filter({ hasText: 'invoice sent to tenant acme' }).waitFor();
    assert.equal(await prompt.count(), 0);

    // Browsers cannot set WebSocket headers: the tail opens with a single-use ticket, never the key, in its URL.
    const sockets: string[] = [];
    page.on('websocket', (ws) => sockets.push(ws.url()));
    await page.getByTestId('live-toggle').click();
    await page.locator('[data-testid=tail-bar][data-state=live]').waitFor();
    const res = await fetch(`${securedBase}/api/v1/logs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
      body: JSON.stringify({ service: 'billing', level: 'warn', message: 'invoice overdue' }),
    });
    assert.equal(res.status, 202);
    await page.getByTestId('row-message').filter({ hasText: 'invoice overdue' }).waitFor({ timeout: 1000 });
    assert.ok(sockets.length > 0, 'no WebSocket was opened');
    for (const url of sockets) {
      assert.equal(url.includes(KEY), false, `the key travelled in ${url}`);
      assert.match(url, /[?&]ticket=idt_/);
    }
    await context.close();
  });
});
