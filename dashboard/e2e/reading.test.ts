import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startTestPipeline } from '../../services/embedded/src/test-pipeline.ts';
import type { EmbeddedPipeline } from '../../services/embedded/src/app.ts';
import { DASHBOARD_DIR, DIST_DIR, ensureDashboardBuilt, launchChromium, SCREENSHOT_DIR } from './harness.ts';

// Reading results at a desk and on a phone, on the real embedded pipeline and the real Vite build
// in Debian's Chromium. The README's screenshots come from here.
const README_SHOTS = join(DASHBOARD_DIR, '..', 'docs', 'screenshots');
const DESKTOP = { width: 1440, height: 900 };
const PHONE = { width: 390, height: 844 };
const POD = 'checkout-deployment-7c9f8b6d5-';
let pipeline: EmbeddedPipeline;
let browser: Browser;
let base: string;
const ago = (ms: number) => new Date(Date.now() - ms).toISOString();

async function ingest(records: object[]): Promise<void> {
  const res = await fetch(`${base}/api/v1/logs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(records),
  });
  assert.equal(res.status, 202, await res.text());
}

before(async () => {
  mkdirSync(README_SHOTS, { recursive: true });
  [pipeline, browser] = await Promise.all([ensureDashboardBuilt().then(() => startTestPipeline()), launchChromium()]);
  base = await pipeline.app.listen({ host: '127.0.0.1', port: 0 });
  const minute = 60_000;
  await ingest([
    {
      timestamp: ago(6 * minute),
      service: 'payments',
      level: 'error',
      message: 'payment failed: card Declined by issuer, retry budget exhausted after 3 attempts for order A-1001',
      attributes: { provider: 'big bank', http: { status: 402 } },
      resource: { k8s: { pod: { name: `${POD}x2x4q` } } },
    },
    {
      timestamp: ago(5 * minute),
      service: 'checkout',
      level: 'warn',
      message: 'card declined for order A-1001, asking for another card',
      attributes: { http: { status: 409 } },
      resource: { k8s: { pod: { name: `${POD}9kz7w` } } },
    },
    {
      timestamp: ago(4 * minute),
      service: 'payments',
      level: 'info',
      message: 'payment captured for order A-1002',
      attributes: { provider: 'stripe', http: { status: 200 } },
      resource: { k8s: { pod: { name: `${POD}x2x4q` } } },
    },
    ...Array.from({ length: 40 }, (_, i) => ({
      timestamp: ago(3 * minute - i * 1000),
      service: 'gateway',
      level: i % 10 === 0 ? 'warn' : 'info',
      message: `GET /api/items/${i} answered 200 in ${i * 3} ms`,
      attributes: { http: { status: 200, method: 'GET' } },
      resource: { k8s: { pod: { name: `gateway-deployment-5d7c9-${i % 3}` } } },
    })),
  ]);
});

after(async () => {
  await browser?.close();
  await pipeline?.close();
});

async function open(path: string, viewport: typeof DESKTOP, context?: BrowserContext): Promise<Page> {
  const ctx =
    context ??
    (await browser.newContext({
      viewport,
      colorScheme: 'light',
      ...(viewport === PHONE ? { isMobile: true, hasTouch: true, deviceScaleFactor: 2 } : {}),
    }));
  const page = await ctx.newPage();
  page.on('pageerror', (err) => assert.fail(`page error: ${err.message}`));
  await page.goto(`${base}${path}`);
  return page;
}

const count = (page: Page, n: number) =>
  page.waitForFunction(
    (n) => document.querySelector('[data-testid=results]')?.getAttribute('data-count') === String(n),
    n,
  );
const urlParams = (page: Page) => new URL(page.url()).searchParams;
const shot = async (page: Page, name: string, readme?: string) => {
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`) });
  if (readme) await page.screenshot({ path: join(README_SHOTS, `${readme}.png`) });
};
const selectedId = (page: Page) => page.locator('[data-testid=log-row].selected').getAttribute('data-id');
const focusedRowId = (page: Page) =>
  page.evaluate(() => document.activeElement?.closest('[data-testid=log-row]')?.getAttribute('data-id') ?? null);

describe('reading results at a desk (1440×900)', () => {
  test('j and k move a visible, focused selection; Enter opens the record and Esc closes it', async () => {
    const page = await open('/', DESKTOP);
    await page.getByTestId('log-row').first().waitFor();
    const ids = await page.getByTestId('log-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-id')));
    await page.keyboard.press('j');
    assert.equal(await selectedId(page), ids[0]);
    await page.keyboard.press('j');
    await page.keyboard.press('j');
    await page.keyboard.press('k');
    assert.equal(await selectedId(page), ids[1]);
    assert.equal(await focusedRowId(page), ids[1]);
    // The focused row shows a focus ring, not only a background.
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
    assert.notEqual(outline, 'none');

    await page.keyboard.press('Enter');
    const detail = page.getByTestId('record-detail');
    await detail.waitFor();
    assert.equal(
      await page.locator(`[data-testid=log-row][data-id="${ids[1]}"] [data-testid=record-detail]`).count(),
      1,
    );
    await page.keyboard.press('Escape');
    await detail.waitFor({ state: 'detached' });
    assert.equal(await focusedRowId(page), ids[1]);

    // Far past the bottom of the view the selection scrolls along and stays in sight.
    for (let i = 0; i < 35; i++) await page.keyboard.press('j');
    const selected = page.locator('[data-testid=log-row].selected');
    assert.equal(await selected.getAttribute('data-id'), await focusedRowId(page));
    const rowBox = (await selected.boundingBox())!;
    const listBox = (await page.getByTestId('results').boundingBox())!;
    assert.ok(rowBox.y >= listBox.y && rowBox.y + rowBox.height <= listBox.y + listBox.height + 1, 'selection in view');
    assert.ok(await page.getByTestId('results').evaluate((el) => el.scrollTop > 0));

    // While typing in the search box the same keys are text.
    await page.keyboard.press('/');
    await page.keyboard.type('jk');
    assert.equal(await page.getByTestId('search-input').inputValue(), 'jk');
    assert.equal(await selectedId(page), await selected.getAttribute('data-id'));
    assert.equal(await page.getByTestId('record-detail').count(), 0);
    await page.close();
  });

  test('every interactive element shows a focus ring when reached with Tab', async () => {
    const page = await open('/', DESKTOP);
    await page.getByTestId('log-row').first().waitFor();
    const seen: { tag: string; outline: string }[] = [];
    for (let i = 0; i < 16; i++) {
      await page.keyboard.press('Tab');
      seen.push(
        await page.evaluate(() => {
          const el = document.activeElement as HTMLElement;
          // The search input draws its ring on the box around it.
          const ringed = el.tagName === 'INPUT' ? (el.closest('.search-box') ?? el) : el;
          return { tag: `${el.tagName}.${el.className}`, outline: getComputedStyle(ringed).outlineStyle };
        }),
      );
    }
    const bare = seen.filter((s) => s.outline === 'none');
    assert.deepEqual(bare, [], JSON.stringify(seen));
    await page.close();
  });

  test('searched words are marked in messages, matching any case; negated words and field values follow the query', async () => {
    const page = await open('/', DESKTOP);
    await page.keyboard.press('/');
    await page.keyboard.type('declined service:payments -captured');
    await page.keyboard.press('Enter');
    await count(page, 1);
    const row = page.getByTestId('log-row').first();
    assert.deepEqual(await row.getByTestId('row-message').getByTestId('hit').allTextContents(), ['Declined']);
    assert.deepEqual(await row.locator('.cell-service').getByTestId('hit').allTextContents(), ['payments']);

    await row.click();
    const detail = page.getByTestId('record-detail');
    assert.deepEqual(await detail.locator('tr[data-field="service"]').getByTestId('hit').allTextContents(), [
      'payments',
    ]);
    assert.equal(await detail.locator('tr[data-field="provider"]').getByTestId('hit').count(), 0);
    await shot(page, 'reading-highlight-detail', 'desktop-detail');

    await page.getByTestId('search-input').fill('payment -declined');
    await page.keyboard.press('Enter');
    const captured = page.getByTestId('row-message').filter({ hasText: 'payment captured' });
    await captured.waitFor();
    await count(page, 1);
    assert.deepEqual(await captured.getByTestId('hit').allTextContents(), ['payment']);
    await page.close();
  });

  test('the column chooser adds and moves an attribute column, and the link keeps it after a reload', async () => {
    const page = await open('/?q=service%3Apayments', DESKTOP);
    await count(page, 2);
    await page.getByTestId('columns-button').click();
    await page.getByTestId('column-input').fill('attributes.http.status');
    await page.getByTestId('column-add').click();
    await page.waitForFunction(() => new URL(location.href).searchParams.getAll('col').length === 5);
    assert.deepEqual(urlParams(page).getAll('col'), ['time', 'level', 'service', 'message', 'attributes.http.status']);
    await page.getByRole('button', { name: 'Move attributes.http.status left' }).click();
    await page.getByTestId('column-input').fill('resource.k8s.pod.name');
    await page.getByTestId('column-add').click();
    await page.waitForFunction(() => new URL(location.href).searchParams.getAll('col').length === 6);
    await page.keyboard.press('Escape');
    await page.getByTestId('columns-popover').waitFor({ state: 'detached' });

    await page.reload();
    await count(page, 2);
    assert.deepEqual(await page.getByTestId('results-head').locator('span').allTextContents(), [
      'Time',
      'Level',
      'Service',
      'http.status',
      'Message',
      'k8s.pod.name',
    ]);
    assert.deepEqual(
      await page.locator('[data-testid=log-row] [data-col="attributes.http.status"]').allTextContents(),
      ['200', '402'],
    );
    assert.match(
      (await page.locator('[data-testid=log-row] [data-col="resource.k8s.pod.name"]').first().textContent()) ?? '',
      /^checkout-deployment-/,
    );
    await page.close();
  });

  test('long facet values keep their distinguishing end, with the full value as a tooltip', async () => {
    const page = await open('/', DESKTOP);
    await count(page, 43);
    const facet = page.getByTestId('facet-k8s.pod.name');
    await facet.waitFor();
    const labels = await facet
      .getByTestId('facet-label')
      .evaluateAll((els) => els.map((e) => ({ text: e.textContent, title: e.getAttribute('title') })));
    const long = labels.filter((l) => l.title!.startsWith(POD));
    assert.deepEqual(long.map((l) => l.title).sort(), [`${POD}9kz7w`, `${POD}x2x4q`]);
    for (const l of long) {
      assert.ok(l.text!.includes('…'), l.text!);
      assert.ok(l.text!.endsWith(l.title!.slice(-8)), `${l.text} keeps the end of ${l.title}`);
    }
    await page.close();
  });

  test('times switch between local and UTC; the choice is in the link and remembered by the browser', async () => {
    const context = await browser.newContext({ viewport: DESKTOP, timezoneId: 'Asia/Kolkata' });
    const page = await open('/', DESKTOP, context);
    const first = page.getByTestId('log-row').first();
    await first.waitFor();
    const ts = (await first.getAttribute('data-ts'))!;
    const utc = `${new Date(ts).toISOString().slice(0, 23).replace('T', ' ')}Z`;
    assert.notEqual(await first.locator('.cell-time').textContent(), utc);
    await page.getByTestId('tz-toggle').click();
    await page.waitForFunction(() => new URL(location.href).searchParams.get('tz') === 'utc');
    assert.equal(await page.getByTestId('log-row').first().locator('.cell-time').textContent(), utc);

    const again = await open('/', DESKTOP, context);
    await again.getByTestId('log-row').first().waitFor();
    assert.equal(await again.getByTestId('tz-toggle').textContent(), 'UTC');
    assert.match((await again.getByTestId('log-row').first().locator('.cell-time').textContent()) ?? '', /Z$/);
    await context.close();
  });

  test('a query the server refuses keeps the last rows, chart and facets, and the caret points at its character', async () => {
    const page = await open('/?q=declined', DESKTOP);
    await count(page, 2);
    await page.getByTestId('facet-service').getByText('payments').waitFor();
    // Back to a link with a broken query, as after following it and searching again.
    const refused = page.waitForResponse((r) => r.url().includes('/api/v1/logs?') && r.status() === 400);
    await page.evaluate(() => {
      history.pushState(null, '', `?q=${encodeURIComponent('declined (service:payments')}`);
      dispatchEvent(new PopStateEvent('popstate'));
    });
    const body = (await (await refused).json()) as { error: { code: string; position: number; field: string } };
    assert.equal(body.error.code, 'QUERY_SYNTAX');
    assert.equal(body.error.field, 'q');
    assert.equal(body.error.position, 9);

    const banner = page.getByTestId('state-error');
    await banner.waitFor();
    assert.match((await banner.textContent()) ?? '', /unclosed "\(" at column 10 \(QUERY_SYNTAX\)/);
    assert.match((await page.getByTestId('syntax-error').textContent()) ?? '', /unclosed "\(" at column 10/);
    assert.equal(await page.getByTestId('results').getAttribute('data-count'), '2');
    assert.ok(await page.getByTestId('log-row').first().isVisible());
    assert.ok(await page.getByTestId('facet-service').getByText('payments').isVisible());
    assert.ok(await page.locator('[data-testid=histogram] canvas').first().isVisible());

    // The caret underlines the "(" itself: the 10th character, where the input draws it.
    const caret = page.getByTestId('syntax-caret');
    assert.equal(await caret.textContent(), '(');
    const caretBox = (await caret.boundingBox())!;
    const inputBox = (await page.getByTestId('search-input').boundingBox())!;
    const charWidth = await page.getByTestId('search-input').evaluate((el) => {
      const ctx = document.createElement('canvas').getContext('2d')!;
      ctx.font = getComputedStyle(el).font;
      return ctx.measureText('declined ').width / 9;
    });
    assert.ok(Math.abs(caretBox.x - (inputBox.x + 8 + 9 * charWidth)) < 2, `caret at ${caretBox.x}`);
    assert.ok(caretBox.y >= inputBox.y && caretBox.y + caretBox.height <= inputBox.y + inputBox.height + 2);
    await shot(page, 'reading-syntax-error', 'desktop-syntax-error');
    await page.close();
  });

  test('the overview with marked words and an attribute column', async () => {
    const page = await open(
      '/?q=declined%20OR%20captured&col=time&col=level&col=service&col=message&col=attributes.http.status',
      DESKTOP,
    );
    await count(page, 3);
    await page.getByTestId('facet-service').waitFor();
    await shot(page, 'reading-desktop', 'desktop');
    await page.close();
  });

  test('the bundle the browser loads imports no Node built-in module', () => {
    const assets = readdirSync(join(DIST_DIR, 'assets')).filter((f) => f.endsWith('.js'));
    assert.ok(assets.length > 0);
    for (const file of assets) {
      const text = readFileSync(join(DIST_DIR, 'assets', file), 'utf8');
      assert.doesNotMatch(text, /["'`]node:[a-z_/]+["'`]/, file);
    }
  });
});

describe('reading results on a phone (390×844)', () => {
  const inside = async (page: Page, testId: string) => {
    const box = (await page.getByTestId(testId).first().boundingBox())!;
    assert.ok(box, `${testId} is not shown`);
    assert.ok(box.x >= 0 && box.x + box.width <= PHONE.width + 0.5, `${testId}: ${box.x}+${box.width}`);
  };

  test('the toolbar fits the width, a search runs, and the facets drawer filters', async () => {
    const page = await open('/', PHONE);
    await page.getByTestId('log-row').first().waitFor();
    for (const id of ['search-input', 'search-run', 'range-button', 'refresh', 'live-toggle', 'facets-open'])
      await inside(page, id);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.equal(overflow, 0);
    assert.equal(await page.getByTestId('facets').isVisible(), false);
    const chart = (await page.getByTestId('histogram').boundingBox())!;
    assert.ok(chart.width > 300 && chart.x + chart.width <= PHONE.width);
    // A card shows the time, level, service and message, all within the screen.
    const card = page.getByTestId('log-row').first();
    for (const part of ['.cell-time', '.level-badge', '.cell-service', '[data-testid=row-message]']) {
      const box = (await card.locator(part).boundingBox())!;
      assert.ok(box.x >= 0 && box.x + box.width <= PHONE.width, `${part}: ${box.x}+${box.width}`);
    }
    await shot(page, 'phone-explorer', 'phone');

    await page.getByTestId('search-input').tap();
    await page.getByTestId('search-input').fill('card');
    await page.getByTestId('search-run').tap();
    await count(page, 2);
    // The long message wraps onto more lines instead of running off the card.
    const message = page.getByTestId('row-message').filter({ hasText: 'retry budget' });
    const lines = await message.evaluate((el) => Math.round(el.getBoundingClientRect().height / 17));
    assert.ok(lines >= 2, `${lines} lines`);
    await inside(page, 'row-message');

    await page.getByTestId('facets-open').tap();
    const drawer = page.getByTestId('drawer');
    await drawer.waitFor();
    await page.getByTestId('facet-service').waitFor();
    // Focus starts in the drawer and Tab keeps it there.
    for (let i = 0; i < 25; i++) {
      await page.keyboard.press(i % 5 === 4 ? 'Shift+Tab' : 'Tab');
      assert.ok(await drawer.evaluate((d) => d.contains(document.activeElement)), `focus left the drawer at ${i}`);
    }
    await shot(page, 'phone-drawer', 'phone-drawer');
    await page.keyboard.press('Escape');
    await drawer.waitFor({ state: 'hidden' });
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-testid')), 'facets-open');

    await page.getByTestId('facets-open').tap();
    await drawer.waitFor();
    await page.getByTestId('drawer-overlay').tap({ position: { x: 370, y: 400 } });
    await drawer.waitFor({ state: 'hidden' });

    await page.getByTestId('facets-open').tap();
    await page
      .getByTestId('facet-service')
      .getByRole('button', { name: /service:checkout/ })
      .first()
      .tap();
    await drawer.waitFor({ state: 'hidden' });
    await count(page, 1);
    assert.equal(urlParams(page).get('q'), 'card service:checkout');
    await page.close();
  });

  test('at 360 px nothing runs off the side, and the time range and column pickers fit the screen', async () => {
    const narrowest = { width: 360, height: 740 };
    const context = await browser.newContext({ viewport: narrowest, isMobile: true, hasTouch: true });
    const page = await open('/', narrowest, context);
    await page.getByTestId('log-row').first().waitFor();
    const within = async (testId: string) => {
      const box = (await page.getByTestId(testId).first().boundingBox())!;
      assert.ok(box.x >= 0 && box.x + box.width <= narrowest.width + 0.5, `${testId}: ${box.x}+${box.width}`);
    };
    for (const id of ['search-input', 'search-run', 'range-button', 'live-toggle', 'theme-toggle', 'tz-toggle'])
      await within(id);
    assert.equal(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth), 0);

    await page.getByTestId('range-button').tap();
    await within('range-popover');
    await page.getByRole('button', { name: 'Last 1 hour' }).tap();
    await page.waitForFunction(() => new URL(location.href).searchParams.get('from') === 'now-1h');

    await page.getByTestId('columns-button').tap();
    await within('columns-popover');
    await page.getByTestId('column-input').fill('http.method');
    await page.getByTestId('column-add').tap();
    await page.waitForFunction(() =>
      new URL(location.href).searchParams.getAll('col').includes('attributes.http.method'),
    );
    // On a card, an added column shows on the first line, after the service.
    const extra = page.getByTestId('log-row').first().locator('[data-col="attributes.http.method"]');
    assert.match((await extra.textContent()) ?? '', /http\.method\s*GET/);
    await context.close();
  });

  test('a record opens to its fields within the screen and Esc closes it; live tail follows new records', async () => {
    const page = await open('/?q=service%3Apayments', PHONE);
    await count(page, 2);
    await page.getByTestId('log-row').last().tap();
    const detail = page.getByTestId('record-detail');
    await detail.waitFor();
    await inside(page, 'record-detail');
    const value = detail.locator('tr[data-field="message"] .detail-value');
    const box = (await value.boundingBox())!;
    assert.ok(box.x + box.width <= PHONE.width, `message value ends at ${box.x + box.width}`);
    await shot(page, 'phone-detail', 'phone-detail');
    await page.keyboard.press('Escape');
    await detail.waitFor({ state: 'detached' });

    await page.getByTestId('live-toggle').tap();
    await page.locator('[data-testid=tail-bar][data-state=live]').waitFor();
    await inside(page, 'tail-bar');
    await ingest([{ service: 'payments', level: 'error', message: 'live on a phone: card declined twice' }]);
    await page.getByTestId('row-message').filter({ hasText: 'live on a phone' }).waitFor({ timeout: 2000 });
    await inside(page, 'row-message');
    await shot(page, 'phone-live-tail');
    await page.close();
  });
});
