// Writes openapi.json, the OpenAPI 3.1 document of the HTTP API, from the zod schemas in packages/schema
// (api.ts, api-routes.ts); the query service serves the same document at GET /api/v1/openapi.json.
// Usage: node scripts/generate-openapi.ts          (make openapi)
//        node scripts/generate-openapi.ts --check  (exits 1 when the committed file drifts from the schemas)
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { renderOpenApi } from '@instant-logs/schema';

const PATH = fileURLToPath(new URL('../openapi.json', import.meta.url));

async function main(check: boolean): Promise<number> {
  const text = renderOpenApi();
  if (!check) {
    await writeFile(PATH, text);
    console.log('Wrote openapi.json');
    return 0;
  }
  if ((await readFile(PATH, 'utf8').catch(() => undefined)) === text) return 0;
  console.error('openapi.json is out of date with the zod schemas: run make openapi and commit the result');
  return 1;
}

if (import.meta.main) process.exitCode = await main(process.argv.includes('--check'));
