const COUNTER_SPAN = 2 ** 48;
// Web Crypto: the same in Node and in the browser, which bundles this package for the dashboard's types.
const webRandom = (bytes: number) => globalThis.crypto.getRandomValues(new Uint8Array(bytes));
const VARIANT = ['8', '9', 'a', 'b'];
const BYTE_HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

/**
 * A source of record ids: UUIDv7 (RFC 9562) strings, the creation millisecond, then 26 bits drawn
 * once per source (RFC 9562 §6.2 leaves the rest of the 74 bits to the implementation), then a
 * 48-bit counter that starts at a random value and counts up. `random` is for tests.
 */
export function createRecordIds(random: (bytes: number) => Uint8Array = webRandom): (nowMs?: number) => string {
  const seed = random(10);
  const hex = Array.from(seed.subarray(0, 3), (b) => b.toString(16).padStart(2, '0')).join('');
  // The variant's two high bits are 10, so that digit is 8–b; its two low bits are random too.
  const node = `${hex.slice(0, 3)}-${VARIANT[seed[3]! & 0x3]}${hex.slice(3, 6)}-`;
  let counter = seed.subarray(4, 10).reduce((n, b) => n * 256 + b, 0);
  // A request's records share their millisecond: its part of the id is formatted once. So are the counter's
  // upper 40 bits, which change every 256 ids: formatting a 48-bit number in hex for every id took ~0.2 µs.
  let prefixMs = -1;
  let prefix = '';
  let upper = -1;
  let upperHex = '';
  return (nowMs = Date.now()) => {
    if (nowMs !== prefixMs) {
      const ms = Math.max(0, Math.floor(nowMs)).toString(16).padStart(12, '0').slice(-12);
      prefixMs = nowMs;
      prefix = `${ms.slice(0, 8)}-${ms.slice(8)}-7${node}`;
    }
    counter = (counter + 1) % COUNTER_SPAN;
    const high = Math.floor(counter / 256);
    if (high !== upper) {
      upper = high;
      upperHex = high.toString(16).padStart(10, '0');
    }
    return prefix + upperHex + BYTE_HEX[counter % 256]!;
  };
}

/**
 * A new record id from this process's source. Ids made one after another differ only in their last
 * digits, so ClickHouse stores the id column in 2.8 bytes a record where 74 random bits took 13.3
 * (bench/results/disk-per-record.md); they are unique by the millisecond, the counter and, between
 * processes, the 26 drawn bits and the counter's random start, and sort by creation millisecond.
 */
export const newRecordId: (nowMs?: number) => string = createRecordIds();
