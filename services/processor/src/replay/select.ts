import { parseArgs } from 'node:util';
import { toLogMessages } from '@instant-logs/queue';

export const USAGE = `Usage: node services/processor/src/replay/main.ts --brokers HOST:PORT[,…] --from DEAD_LETTER_TOPIC --to LOGS_TOPIC
         [--group GROUP] [--match-error REGEX] [--tenant TENANT] [--dry-run]
  Republishes dead letters to the logs topic, up to the end offsets seen at start, committing each
  batch after the broker acknowledged it. The group is this job's cursor (default
  instant-logs-replay-<from>): records skipped by the filters are passed over too, so replay them
  later under another --group, with filters that leave out what was already replayed.
  --dry-run counts what would be replayed; it neither publishes nor commits.`;

export interface ReplayOptions {
  brokers: string[];
  from: string;
  to: string;
  group: string;
  matchError: RegExp | undefined;
  tenant: string | undefined;
  dryRun: boolean;
}

/** Pure: the command line as options, or every problem with it. */
export function parseReplayArgs(
  argv: readonly string[],
): { options: ReplayOptions } | { problems: string[] } | { help: true } {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        brokers: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        group: { type: 'string' },
        'match-error': { type: 'string' },
        tenant: { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    return { problems: [(err as Error).message] };
  }
  if (values.help) return { help: true };
  const problems: string[] = [];
  const brokers = (values.brokers ?? '')
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  if (brokers.length === 0) problems.push('--brokers is required, e.g. 127.0.0.1:9092');
  if (!values.from) problems.push('--from (the dead-letter topic) is required');
  if (!values.to) problems.push('--to (the logs topic) is required');
  if (values.from && values.from === values.to) problems.push('--from and --to must be different topics');
  let matchError: RegExp | undefined;
  try {
    matchError = values['match-error'] === undefined ? undefined : new RegExp(values['match-error']);
  } catch (err) {
    problems.push(`--match-error is not a regular expression: ${(err as Error).message}`);
  }
  if (values.tenant === '') problems.push('--tenant must not be empty');
  if (problems.length > 0) return { problems };
  const from = values.from!;
  return {
    options: {
      brokers,
      from,
      to: values.to!,
      group: values.group ?? `instant-logs-replay-${from}`,
      matchError,
      tenant: values.tenant,
      dryRun: values['dry-run'],
    },
  };
}

/** What the replay reads of a dead letter: its value and the headers the processor wrote. */
export interface DeadLetterRecord {
  value: Buffer;
  headers: Record<string, Buffer | string | (Buffer | string)[] | undefined>;
  partition: number;
  offset: string;
}

/** Pure: a header as text ('' when absent). */
export function headerText(headers: DeadLetterRecord['headers'], name: string): string {
  const v = headers[name];
  return (Array.isArray(v) ? v[0] : v)?.toString() ?? '';
}

/** Pure: whether the filters pick this dead letter (no filter picks everything). */
export function selects(options: Pick<ReplayOptions, 'matchError' | 'tenant'>, letter: DeadLetterRecord): boolean {
  if (options.tenant !== undefined && headerText(letter.headers, 'tenant') !== options.tenant) return false;
  return options.matchError === undefined || options.matchError.test(headerText(letter.headers, 'dlq.error'));
}

/**
 * Pure: the logs-topic message for a dead letter: the value as it is, keyed and headed like the
 * collector's messages (tenant/service key, tenant and rows=1 headers), plus where it came from.
 */
export function toReplayMessage(
  from: string,
  letter: DeadLetterRecord,
): { key: string; value: Buffer; headers: Record<string, string> } {
  const tenant = headerText(letter.headers, 'tenant');
  const [first] = toLogMessages({ tenant, rows: 1, data: letter.value });
  return {
    key: first?.key ?? `${tenant}/`,
    value: letter.value,
    headers: { tenant, rows: '1', 'replay.source': `${from}/${letter.partition}/${letter.offset}` },
  };
}
