import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createChdbTransport } from './chdb-transport.ts';
import { fileInsertSql, readAsStructure, sqlString } from './insert-read-as.ts';

const files = (dir: string) => readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());

test("large in-process inserts leave no spool files, failed or not; a dead process's spool is removed at start", async () => {
  const path = mkdtempSync(join(tmpdir(), 'idl-spool-'));
  // A process that has exited, and this process's own id from an earlier start (a container's pid 1).
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
  for (const owner of [`${dead}-0123456789ab`, `${process.pid}-ba9876543210`]) {
    mkdirSync(join(path, 'insert-spool', owner), { recursive: true });
    writeFileSync(join(path, 'insert-spool', owner, '0.jsonl'), '[1]\n');
  }
  const reports: [string | undefined, number, string][] = [];
  const t = createChdbTransport({
    path,
    onSpoolError: (err, failures, dir) => reports.push([(err as NodeJS.ErrnoException).code, failures, dir]),
  });
  try {
    assert.equal(files(join(path, 'insert-spool')).length, 0);
    await t.command(
      'CREATE TABLE default.spooled (id UInt32, s LowCardinality(String)) ENGINE = MergeTree ORDER BY id',
    );
    const rows = Array.from({ length: 20_000 }, (_, i) => JSON.stringify([i, `s${i % 5}`])).join('\n');
    const options = { columns: ['id', 's'], readAs: ['UInt32', 'String'] };
    await t.insertJsonEachRow('default.spooled', rows, options);
    await assert.rejects(
      t.insertJsonEachRow('default.spooled', `${rows}\n[1, 2, 3, "x"]`, options),
      /Cannot run insert/,
    );
    assert.deepEqual(await t.query('SELECT count() AS n, uniqExact(s) AS s FROM default.spooled'), [
      { n: '20000', s: '5' },
    ]);
    assert.equal(files(join(path, 'insert-spool')).length, 0);

    // A second transport on the same path keeps the first's spool; a spool that cannot be written (here its
    // directory replaced by a file) sends the rows inside the statement instead.
    const [own] = readdirSync(join(path, 'insert-spool'));
    const second = createChdbTransport({ path });
    assert.equal(readdirSync(join(path, 'insert-spool')).length, 2);
    rmSync(join(path, 'insert-spool', own!), { recursive: true });
    writeFileSync(join(path, 'insert-spool', own!), 'not a directory');
    await second.close();
    await t.insertJsonEachRow('default.spooled', rows.replaceAll('"s', '"t'), options);
    assert.deepEqual(await t.query("SELECT count() AS n FROM default.spooled WHERE s LIKE 't%'"), [{ n: '20000' }]);
    assert.ok(statSync(join(path, 'insert-spool', own!)).isFile(), 'the rows never went through the spool');
    // Said once, with the count; a disk that keeps refusing is not reported again within the minute.
    const spoolDir = join(path, 'insert-spool', own!);
    assert.deepEqual(reports, [['ENOTDIR', 1, spoolDir]]);
    await t.insertJsonEachRow('default.spooled', rows.replaceAll('"s', '"u'), options);
    assert.deepEqual(await t.query("SELECT count() AS n FROM default.spooled WHERE s LIKE 'u%'"), [{ n: '20000' }]);
    assert.deepEqual(reports, [['ENOTDIR', 1, spoolDir]]);
  } finally {
    await t.close();
  }
  assert.equal(existsSync(join(path, 'insert-spool')) && files(join(path, 'insert-spool')).length, 0);
});

test('names, types and settings that are not plain never reach the SQL text; strings are quoted', () => {
  assert.equal(sqlString("a'b\\c"), "'a\\'b\\\\c'");
  assert.equal(
    readAsStructure(['a', 'b'], ['String', "DateTime64(9, 'UTC')"]),
    "'a String, b DateTime64(9, \\'UTC\\')'",
  );
  assert.throws(() => readAsStructure(['a'], ['String', 'UInt8']), /1 columns but 2 types/);
  assert.throws(() => readAsStructure(['a b'], ['String']), /invalid column or type/);
  assert.throws(() => readAsStructure(['a'], ['String; DROP']), /invalid column or type/);
  assert.throws(() => fileInsertSql('db.t; DROP', ['a'], ['String'], '/f', {}), /invalid table name/);
  assert.throws(() => fileInsertSql('db.t', ['a'], ['String'], '/f', { 'x = 1, y': 1 }), /invalid setting name/);
  assert.equal(
    fileInsertSql('db.t', ['a'], ['String'], "/d/it's", { insert_deduplication_token: "t'1", async_insert: 0 }),
    "INSERT INTO db.t (a) SETTINGS insert_deduplication_token = 't\\'1', async_insert = 0 SELECT * FROM file('/d/it\\'s', JSONCompactEachRow, 'a String')",
  );
});
