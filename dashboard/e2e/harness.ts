import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { build } from 'vite';

export const DASHBOARD_DIR = fileURLToPath(new URL('..', import.meta.url));
export const DIST_DIR = join(DASHBOARD_DIR, 'dist');
export const SCREENSHOT_DIR = join(DASHBOARD_DIR, 'e2e', 'screenshots');

function newestSource(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newestSource(join(path, name))));
}

/** Builds dashboard/dist when it is missing or older than its sources, so the tests see the current code. */
export async function ensureDashboardBuilt(): Promise<void> {
  const index = join(DIST_DIR, 'index.html');
  const sources = [
    'src',
    'index.html',
    'vite.config.ts',
    '../packages/schema/src',
    '../packages/query-language/src',
  ].map((p) => join(DASHBOARD_DIR, p));
  if (existsSync(index) && statSync(index).mtimeMs >= Math.max(...sources.map(newestSource))) return;
  await build({ root: DASHBOARD_DIR, configFile: join(DASHBOARD_DIR, 'vite.config.ts'), logLevel: 'warn' });
}

/** Debian's Chromium, headless; playwright never downloads a browser of its own here. */
export async function launchChromium(): Promise<Browser> {
  const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(executablePath))
    throw new Error(`No Chromium at ${executablePath}: apt-get install chromium (or set CHROMIUM_PATH)`);
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  return chromium.launch({
    executablePath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-sync',
    ],
  });
}

/** An ISO timestamp `ms` before now. */
export const ago = (ms: number) => new Date(Date.now() - ms).toISOString();

/** Stores records through the server's ingest API, as an application would; anything but a 202 fails the test. */
export async function postRecords(base: string, records: object[]): Promise<void> {
  const res = await fetch(`${base}/api/v1/logs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(records),
  });
  if (res.status !== 202) throw new Error(`ingest answered ${res.status}: ${await res.text()}`);
}
