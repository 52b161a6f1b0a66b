import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseEnv } from '@instant-logs/service-kit';
import { EmbeddedConfig } from './config.ts';

const quiet = () => {};

test('the lag bound defaults above the batch wait, and 0 turns it off', () => {
  const config = parseEnv(EmbeddedConfig, {}, quiet);
  assert.ok(config.WAL_MAX_LAG_MS > config.WAL_BATCH_WAIT_MS);
  assert.equal(parseEnv(EmbeddedConfig, { WAL_MAX_LAG_MS: '0', WAL_BATCH_WAIT_MS: '5000' }, quiet).WAL_MAX_LAG_MS, 0);
});

test('a lag bound no longer than the batch wait is refused, naming both settings', () => {
  assert.throws(
    () => parseEnv(EmbeddedConfig, { WAL_MAX_LAG_MS: '500', WAL_BATCH_WAIT_MS: '500' }, quiet),
    /WAL_MAX_LAG_MS: WAL_MAX_LAG_MS must be 0 \(no bound\) or longer than WAL_BATCH_WAIT_MS/,
  );
});

test('a lag bound a held request could not wait out within its own timeout is refused', () => {
  assert.throws(
    () => parseEnv(EmbeddedConfig, { WAL_MAX_LAG_MS: '60000', HTTP_REQUEST_TIMEOUT_MS: '60000' }, quiet),
    /WAL_MAX_LAG_MS: WAL_MAX_LAG_MS must be shorter than HTTP_REQUEST_TIMEOUT_MS/,
  );
  assert.equal(
    parseEnv(EmbeddedConfig, { WAL_MAX_LAG_MS: '30000', HTTP_REQUEST_TIMEOUT_MS: '60000' }, quiet).WAL_MAX_LAG_MS,
    30000,
  );
});

test('a misspelt setting is still reported with the refinement in place', () => {
  const warnings: string[] = [];
  parseEnv(EmbeddedConfig, { WAL_MAX_LAGS_MS: '100' }, (m) => warnings.push(m));
  assert.deepEqual(warnings, [
    'WAL_MAX_LAGS_MS is not a setting of this service and is ignored; did you mean WAL_MAX_LAG_MS?',
  ]);
});
