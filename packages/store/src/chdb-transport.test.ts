import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { INDEX_CACHE_BYTES } from './chdb-transport.ts';
import { describeTransportContract, openChdbForTest, type OpenedTransport } from './transport-contract.ts';

describeTransportContract('chdb', () => openChdbForTest('chdb-contract-'));

describe('chdb skip-index cache', () => {
  let opened: OpenedTransport;
  before(async () => {
    opened = await openChdbForTest('chdb-index-cache-');
    await opened.transport.command(
      `CREATE TABLE cached (n UInt64, body String, INDEX tokens lower(body) TYPE tokenbf_v1(4096, 3, 0) GRANULARITY 1)
       ENGINE = MergeTree ORDER BY n SETTINGS index_granularity = 1024`,
    );
    await opened.transport.command(
      `INSERT INTO cached SELECT number, concat('request req', hex(sipHash64(number))) FROM numbers(50000)`,
    );
  });
  after(() => opened.close());

  const hits = async () => {
    const [row] = await opened.transport.query<{ n: string }>(
      `SELECT sum(value) AS n FROM system.events WHERE event = 'UncompressedCacheHits'`,
    );
    return Number(row?.n ?? 0);
  };

  test('the engine is given the cache size', async () => {
    const [row] = await opened.transport.query<{ value: string }>(
      `SELECT value FROM system.server_settings WHERE name = 'index_uncompressed_cache_size'`,
    );
    assert.equal(Number(row?.value), INDEX_CACHE_BYTES);
  });

  test('a second search by token reads the bloom filters from memory', async () => {
    const [needle] = await opened.transport.query<{ t: string }>(`SELECT lower(hex(sipHash64(toUInt64(31337)))) AS t`);
    const search = () =>
      opened.transport.query<{ n: string }>(
        `SELECT n FROM cached WHERE hasToken(lower(body), {t:String}) SETTINGS use_query_condition_cache = 0`,
        { t: `req${needle!.t}` },
      );
    const cold = await hits();
    assert.deepEqual(await search(), [{ n: '31337' }]);
    const warm = await hits();
    assert.equal(warm, cold, 'nothing was cached before the first search');
    assert.deepEqual(await search(), [{ n: '31337' }]);
    // A hit per compressed block of the index file (each holds the filters of several granules).
    assert.ok((await hits()) > warm, `cache hits ${warm} → ${await hits()}`);
  });
});
