import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TailBuffer } from './tail-buffer.ts';
import { backoffDelay, TailConnection, type SocketLike, type TailStatus } from './tail-connection.ts';
import { record } from './test-records.ts';

class FakeSocket implements SocketLike {
  onopen: SocketLike['onopen'] = null;
  onmessage: SocketLike['onmessage'] = null;
  onclose: SocketLike['onclose'] = null;
  onerror: SocketLike['onerror'] = null;
  closed = false;
  readonly url: string;
  constructor(url: string) {
    this.url = url;
  }
  send(message: object) {
    this.onmessage?.({ data: JSON.stringify(message) });
  }
  drop() {
    this.onclose?.({ code: 1006, reason: '' });
  }
  close() {
    this.closed = true;
  }
}

function harness() {
  const sockets: FakeSocket[] = [];
  const timers: { fn: () => void; ms: number; cleared: boolean }[] = [];
  const statuses: TailStatus[] = [];
  const buffer = new TailBuffer(100);
  const connection = new TailConnection({
    url: (since) => `ws://h/api/v1/tail${since ? `?since=${since}` : ''}`,
    open: (url) => {
      const s = new FakeSocket(url);
      sockets.push(s);
      return s;
    },
    onRecords: (records) => buffer.add(records),
    onStatus: (s) => statuses.push(s),
    setTimer: (fn, ms) => {
      const t = { fn, ms, cleared: false };
      timers.push(t);
      return t;
    },
    clearTimer: (t) => ((t as { cleared: boolean }).cleared = true),
    random: () => 1,
  });
  return { sockets, timers, statuses, buffer, connection, last: () => sockets.at(-1)! };
}

test('backoff doubles from half a second up to a ceiling, jittered within its upper half', () => {
  assert.deepEqual(
    [1, 2, 3, 4, 10].map((n) => backoffDelay(n, () => 1)),
    [500, 1000, 2000, 4000, 15_000],
  );
  assert.equal(
    backoffDelay(3, () => 0),
    1000,
  );
});

test('records arrive and the status turns live once the server is ready', () => {
  const h = harness();
  h.connection.start();
  assert.equal(h.last().url, 'ws://h/api/v1/tail');
  h.last().send({ type: 'ready', position: 'p0' });
  h.last().send({ type: 'records', records: [record('a'), record('b')], position: 'p1' });
  assert.deepEqual(
    h.statuses.map((s) => s.state),
    ['connecting', 'live'],
  );
  assert.deepEqual(
    h.buffer.rows.map((r) => r.id),
    ['a', 'b'],
  );
  assert.equal(h.connection.position, 'p1');
});

test('a dropped connection reconnects with backoff from the last position, without gaps or duplicates', () => {
  const h = harness();
  h.connection.start();
  h.last().send({ type: 'ready', position: 'p0' });
  h.last().send({ type: 'records', records: [record('a'), record('b')], position: 'p2' });
  h.last().drop();
  assert.equal(h.connection.state, 'reconnecting');
  assert.equal(h.timers[0]!.ms, 500);
  h.timers[0]!.fn();
  assert.equal(h.last().url, 'ws://h/api/v1/tail?since=p2');
  // The second attempt fails too: the wait doubles and the position is kept.
  h.last().drop();
  assert.equal(h.timers[1]!.ms, 1000);
  h.timers[1]!.fn();
  assert.equal(h.last().url, 'ws://h/api/v1/tail?since=p2');
  h.last().send({ type: 'ready', position: 'p2' });
  h.last().send({ type: 'records', records: [record('b'), record('c')], position: 'p3' });
  assert.deepEqual(
    h.buffer.rows.map((r) => r.id),
    ['a', 'b', 'c'],
  );
  assert.equal(h.statuses.at(-1)!.state, 'live');
  assert.equal(h.statuses.at(-1)!.attempt, 0);
  // Once connected again, the next drop starts the backoff over.
  h.last().drop();
  assert.equal(h.timers[2]!.ms, 500);
});

test('pause closes the socket and resume continues from the position it had', () => {
  const h = harness();
  h.connection.start();
  h.last().send({ type: 'ready', position: 'p5' });
  h.connection.pause();
  assert.equal(h.sockets[0]!.closed, true);
  assert.equal(h.connection.state, 'paused');
  assert.equal(h.timers.length, 0, 'a paused tail does not reconnect');
  h.connection.resume();
  assert.equal(h.last().url, 'ws://h/api/v1/tail?since=p5');
});

test('a query error from the server stops the tail instead of retrying', () => {
  const h = harness();
  h.connection.start();
  h.last().send({ type: 'error', error: { code: 'QUERY_SYNTAX', message: 'unclosed quote', position: 0 } });
  h.last().drop();
  assert.deepEqual(h.statuses.at(-1), { state: 'failed', attempt: 0, error: 'unclosed quote' });
  assert.equal(h.timers.length, 0);
});

test('a tail dropped for reading too slowly reconnects from the last position it was sent', () => {
  const h = harness();
  h.connection.start();
  h.last().send({ type: 'ready', position: 'p1' });
  h.last().send({ type: 'records', records: [record('kept')], position: 'p2' });
  h.last().send({ type: 'error', error: { code: 'QUERY_TAIL_TOO_SLOW', message: 'fell behind' }, position: 'p2' });
  h.last().onclose?.({ code: 4008, reason: 'client too slow' });
  assert.equal(h.timers.length, 1);
  h.timers[0]!.fn();
  assert.equal(h.last().url, 'ws://h/api/v1/tail?since=p2');
});

test('stop cancels a pending reconnect, and events of an old socket are ignored', () => {
  const h = harness();
  h.connection.start();
  const first = h.last();
  first.drop();
  h.connection.stop();
  assert.equal(h.timers[0]!.cleared, true);
  first.send({ type: 'records', records: [record('late')], position: 'px' });
  assert.equal(h.buffer.rows.length, 0);
  assert.equal(h.connection.state, 'stopped');
});
