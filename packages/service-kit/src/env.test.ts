import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { misspeltKeys, parseEnv } from './env.ts';

const Config = z.object({
  PORT: z.coerce.number().int().default(8080),
  TAIL_MAX_PER_TENANT: z.coerce.number().int().default(10),
  CLICKHOUSE_DATABASE: z.string().default('logs'),
});

test('a misspelt setting is reported with the one it resembles, and its default is still used', () => {
  const warnings: string[] = [];
  const config = parseEnv(Config, { TAIL_MAX_PER_TENANTS: '3', CLICKHOUSE_DATABSE: 'x', PORT: '1' }, (m) =>
    warnings.push(m),
  );
  assert.equal(config.TAIL_MAX_PER_TENANT, 10);
  assert.deepEqual(warnings, [
    'TAIL_MAX_PER_TENANTS is not a setting of this service and is ignored; did you mean TAIL_MAX_PER_TENANT?',
    'CLICKHOUSE_DATABSE is not a setting of this service and is ignored; did you mean CLICKHOUSE_DATABASE?',
  ]);
});

test("the machine's own variables and other services' settings are not reported", () => {
  assert.deepEqual(
    misspeltKeys(['HOST', 'PORT', 'KAFKA_TOPIC'], ['HOME', 'PATH', 'PWD', 'KAFKA_DEAD_LETTER_TOPIC', 'CLICKHOUSE_URL']),
    [],
  );
});

test('a bad value fails the start naming every problem', () => {
  assert.throws(
    () => parseEnv(Config, { PORT: 'eighty', TAIL_MAX_PER_TENANT: 'x' }, () => undefined),
    /PORT: .*\n.*TAIL_MAX_PER_TENANT: /,
  );
});
