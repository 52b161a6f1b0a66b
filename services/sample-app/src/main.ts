import { parseArgs } from 'node:util';
import { IngestResponse } from '@instant-logs/schema';
import { createTrafficGenerator } from './generator.ts';
import { runSampleTraffic, toNdjson } from './traffic.ts';

const USAGE = `Usage: node services/sample-app/src/main.ts --url http://127.0.0.1:8080 --rate 200 [--api-key KEY] [--batch-size N] [--seed N]
  --api-key defaults to $INSTANT_LOGS_API_KEY; records go to <url>/api/v1/logs as NDJSON.`;
const SUMMARY_EVERY_MS = 10_000;
const REQUEST_TIMEOUT_MS = 10_000;

function parseOptions() {
  const { values } = parseArgs({
    options: {
      url: { type: 'string', default: 'http://127.0.0.1:8080' },
      rate: { type: 'string', default: '200' },
      'api-key': { type: 'string' },
      'batch-size': { type: 'string' },
      seed: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return undefined;
  const problems: string[] = [];
  const endpoint = URL.parse('api/v1/logs', values.url.endsWith('/') ? values.url : `${values.url}/`);
  if (!endpoint || !/^https?:$/.test(endpoint.protocol))
    problems.push(`--url must be an http(s) URL, got "${values.url}"`);
  const rate = Number(values.rate);
  if (!(rate > 0)) problems.push(`--rate must be a positive number, got "${values.rate}"`);
  const batchSize = values['batch-size'] === undefined ? undefined : Number(values['batch-size']);
  if (batchSize !== undefined && !(Number.isInteger(batchSize) && batchSize > 0))
    problems.push(`--batch-size must be a positive integer, got "${values['batch-size']}"`);
  const seed = values.seed === undefined ? Date.now() : Number(values.seed);
  if (!Number.isInteger(seed)) problems.push(`--seed must be an integer, got "${values.seed}"`);
  if (problems.length > 0) throw new Error(problems.join('\n'));
  return {
    endpoint: endpoint!,
    rate,
    batchSize,
    seed,
    apiKey: values['api-key'] ?? process.env['INSTANT_LOGS_API_KEY'],
  };
}

async function main(): Promise<void> {
  let options;
  try {
    options = parseOptions();
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  if (!options) return console.log(USAGE);

  const headers: Record<string, string> = { 'content-type': 'application/x-ndjson' };
  if (options.apiKey) headers['authorization'] = `Bearer ${options.apiKey}`;
  let rejected = 0;
  const send = async (records: object[]): Promise<void> => {
    const res = await fetch(options.endpoint, {
      method: 'POST',
      headers,
      body: toNdjson(records),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    }).catch((err: Error) => {
      // fetch says only "fetch failed"; the reason (ECONNREFUSED, a timeout…) is in its cause.
      const cause = err.cause as { code?: string; message?: string } | undefined;
      throw new Error(`cannot send logs: ${cause?.code ?? cause?.message ?? err.message}`);
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`cannot send logs: HTTP ${res.status} ${text.slice(0, 200)}`);
    // A 2xx may still refuse some records; count them so a schema mismatch does not go unnoticed.
    const answer = IngestResponse.safeParse(safeJson(text));
    if (answer.success) rejected += answer.data.rejected;
  };

  const generator = createTrafficGenerator({ seed: options.seed, clock: Date.now });
  const controller = new AbortController();
  const traffic = runSampleTraffic({
    send,
    ratePerSecond: options.rate,
    batchSize: options.batchSize,
    signal: controller.signal,
    generator,
  });
  console.log(`Started sample traffic to ${options.endpoint} at ${options.rate} records/s (seed ${options.seed})`);

  let lastSent = 0;
  const summarise = (): void => {
    const { sent, failed, lastError } = traffic.stats;
    const incident = generator.incidents().at(-1);
    const running = incident && incident.endMs > Date.now() ? `; incident ${incident.kind} running` : '';
    const error = lastError ? `; last error: ${lastError}` : '';
    console.log(
      `Sent ${sent} records (${Math.round(((sent - lastSent) * 1000) / SUMMARY_EVERY_MS)}/s), ${failed} failed, ${rejected} rejected${running}${error}`,
    );
    lastSent = sent;
  };
  const timer = setInterval(summarise, SUMMARY_EVERY_MS);
  const stop = (): void => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);

  await traffic.done;
  clearInterval(timer);
  process.off('SIGINT', stop);
  process.off('SIGTERM', stop);
  const { sent, failed } = traffic.stats;
  console.log(`Stopped sample traffic: ${sent} records sent, ${failed} failed, ${rejected} rejected`);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

await main();
