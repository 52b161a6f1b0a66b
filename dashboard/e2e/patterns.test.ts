import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { templateRegex } from '@instant-logs/query-language';
import { startTestPipeline } from '../../services/embedded/src/test-pipeline.ts';
import type { EmbeddedPipeline } from '../../services/embedded/src/app.ts';
import { ensureDashboardBuilt, launchChromium, SCREENSHOT_DIR } from './harness.ts';

// The Patterns tab against the real embedded pipeline and the real build, in Debian's Chromium.
let pipeline: EmbeddedPipeline;
let browser: Browser;
let base: string;
const ago = (ms: number) => new Date(Date.now() - ms).toISOString();
const GET_TEMPLATE = 'GET /api/items/<NUM> <NUM> in <DURATION>';

before(async () => {
  [pipeline, browser] = await Promise.all([ensureDashboardBuilt().then(() => startTestPipeline()), launchChromium()]);
  base = await pipeline.app.listen({ host: '127.0.0.1', port: 0 });
  const records = [
    ...Array.from({ length: 60 }, (_, i) => ({
      timestamp: ago(10 * 60_000 - i * 5000),
      service: 'gateway',
      level: i % 12 === 0 ? 'warn' : 'info',
      message: `GET /api/items/${i * 3} ${i % 7 ? 200 : 404} in ${i % 40}ms`,
    })),
    ...Array.from({ length: 25 }, (_, i) => ({
      timestamp: ago(8 * 60_000 - i * 7000),
      service: 'payments',
      level: 'error',
      message: `payment declined for user-${100 + i}: card expired`,
    })),
    ...Array.from({ length: 10 }, (_, i) => ({
      timestamp: ago(6 * 60_000 - i * 3000),
      service: 'cache',
      level: 'debug',
      message: 'cache warmed',
    })),
  ];
  const res = await fetch(`${base}/api/v1/logs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(records),
  });
  assert.equal(res.status, 202, await res.text());
});

after(async () => {
  await browser?.close();
  await pipeline?.close();
});

const VIEWPORTS = [
  { name: 'desktop', viewport: { width: 1440, height: 900 } },
  { name: 'phone', viewport: { width: 390, height: 844 } },
];

async function open(viewport: { width: number; height: number }, path: string): Promise<Page> {
  const context = await browser.newContext({ viewport, colorScheme: 'light' });
  const page = await context.newPage();
  page.on('pageerror', (err) => assert.fail(`page error: ${err.message}`));
  await page.goto(`${base}${path}`);
  return page;
}

const resultCount = (page: Page) => page.getByTestId('results').getAttribute('data-count');

describe('the Patterns tab', () => {
  for (const { name, viewport } of VIEWPORTS) {
    test(`${name}: lists the patterns of the logs, and "Only" shows just the logs of one`, async () => {
      const page = await open(viewport, '/?from=now-1h');
      await page.getByTestId('log-row').first().waitFor();
      await page.getByTestId('tab-patterns').click();
      await page.getByTestId('pattern').nth(2).waitFor();
      assert.equal(new URL(page.url()).searchParams.get('tab'), 'patterns');
      const templates = await page.getByTestId('pattern-template').allTextContents();
      assert.deepEqual(templates, [GET_TEMPLATE, 'payment declined for user-<NUM>: card expired', 'cache warmed']);
      assert.deepEqual(await page.getByTestId('pattern-count').allTextContents(), ['60', '25', '10']);
      assert.match((await page.getByTestId('patterns-summary').textContent()) ?? '', /3 patterns in 95 matching logs/);
      await page.screenshot({ path: join(SCREENSHOT_DIR, `patterns-${name}.png`), fullPage: true });

      await page.getByTestId('pattern').first().getByTestId('pattern-only').click();
      await page.waitForFunction(
        () => document.querySelector('[data-testid=results]')?.getAttribute('data-count') === '60',
      );
      const params = new URL(page.url()).searchParams;
      assert.equal(params.get('q'), `pattern:"${GET_TEMPLATE}"`);
      assert.equal(params.get('tab'), null);
      const messages = await page.getByTestId('log-row').getByTestId('row-message').allTextContents();
      assert.ok(messages.length > 3, `${messages.length} rows rendered`);
      const fits = new RegExp(templateRegex(GET_TEMPLATE), 'u');
      for (const m of messages) assert.match(m, fits);
      await page.screenshot({ path: join(SCREENSHOT_DIR, `patterns-only-${name}.png`) });
      await page.close();
    });
  }

  test('"Exclude" drops a pattern from the query and from the list, on a page opened from a link with tab=patterns', async () => {
    const page = await open(VIEWPORTS[0]!.viewport, '/?from=now-1h&tab=patterns');
    await page.getByTestId('pattern').nth(2).waitFor();
    await page.getByTestId('pattern').nth(1).getByTestId('pattern-exclude').click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=pattern]').length === 2);
    assert.deepEqual(await page.getByTestId('pattern-template').allTextContents(), [GET_TEMPLATE, 'cache warmed']);
    const params = new URL(page.url()).searchParams;
    assert.equal(params.get('q'), '-pattern:"payment declined for user-<NUM>: card expired"');
    assert.equal(params.get('tab'), 'patterns');
    await page.getByTestId('tab-results').click();
    await page.waitForFunction(
      () => document.querySelector('[data-testid=results]')?.getAttribute('data-count') === '70',
    );
    assert.equal(await resultCount(page), '70');
    await page.close();
  });
});
