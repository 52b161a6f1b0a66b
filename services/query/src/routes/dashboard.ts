import { readFile } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { KIT_ERRORS } from '@instant-logs/service-kit';

/** Where the dashboard's `vite build` writes the page, relative to this file in the repository. */
export const DEFAULT_DASHBOARD_DIR = fileURLToPath(new URL('../../../../dashboard/dist/', import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

/**
 * GET / and /assets/*: the built dashboard. Asset names carry a content hash, so they are cached
 * for a year; index.html is revalidated every time so a rebuild shows at once. Without a build,
 * / answers a page that says how to make one.
 */
export function registerDashboardRoutes(app: FastifyInstance, options: { dir: string }): void {
  const root = resolve(options.dir);
  const assets = join(root, 'assets');

  // The page is public; the API calls it makes carry the key.
  const open = { config: { access: 'public' as const } };
  app.get('/', open, async (_request, reply) => {
    const html = await readFile(join(root, 'index.html'), 'utf8').catch(() => NOT_BUILT_HTML);
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(html);
  });

  app.get('/assets/*', open, async (request, reply) => {
    const name = (request.params as { '*': string })['*'];
    const file = resolve(assets, name);
    const type = CONTENT_TYPES[extname(file)];
    const body = file.startsWith(assets + sep) && type ? await readFile(file).catch(() => undefined) : undefined;
    if (!body || !type) throw KIT_ERRORS.NOT_FOUND({ reason: `no dashboard asset ${name.slice(0, 100)}` });
    return reply.type(type).header('cache-control', 'public, max-age=31536000, immutable').send(body);
  });
}

const NOT_BUILT_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Instant Dev Logs</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:680px;margin:10vh auto;padding:0 16px;color:#1f2328}
code,pre{font-family:ui-monospace,monospace;background:#f6f8fa;border-radius:4px;padding:2px 4px}pre{padding:10px 12px}
@media (prefers-color-scheme:dark){body{background:#0d1117;color:#e6edf3}code,pre{background:#161b22}}</style></head>
<body><h1>Instant Dev Logs</h1>
<p>The query API is running, but the dashboard has not been built yet. Build it once and reload this page:</p>
<pre>npm run build -w @instant-logs/dashboard</pre>
<p>(<code>make dev</code> builds it for you.) Meanwhile the API answers, for example
<a href="api/v1/logs?from=now-15m"><code>/api/v1/logs?from=now-15m</code></a>.</p>
</body></html>`;
