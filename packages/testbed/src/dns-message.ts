// Just enough of the DNS wire format (RFC 1035 §4) for a cluster DNS that answers A queries from a table.

export const TYPE_A = 1;
export const RCODE = { NOERROR: 0, FORMERR: 1, NXDOMAIN: 3, NOTIMP: 4 } as const;
const HEADER = 12;
const QR = 0x8000;
const AA = 0x0400;
const RD = 0x0100;

export interface Question {
  id: number;
  flags: number;
  /** Lower case, without the trailing dot. */
  name: string;
  type: number;
  /** The question section as sent, echoed in the answer. */
  raw: Buffer;
}

/** The IPv4 addresses of a known name (none: it exists but has no A record), or undefined for an unknown one. */
export type Lookup = (name: string) => string[] | undefined;

/** Pure: the one question of a standard query, or the response code to refuse it with. */
export function parseQuery(msg: Buffer): Question | { id: number; flags: number; rcode: number } {
  if (msg.length < HEADER) return { id: 0, flags: 0, rcode: RCODE.FORMERR };
  const id = msg.readUInt16BE(0);
  const flags = msg.readUInt16BE(2);
  if (flags & QR) return { id, flags, rcode: RCODE.FORMERR };
  if (((flags >> 11) & 0xf) !== 0) return { id, flags, rcode: RCODE.NOTIMP };
  if (msg.readUInt16BE(4) !== 1) return { id, flags, rcode: RCODE.FORMERR };
  const labels: string[] = [];
  let at = HEADER;
  for (;;) {
    const len = msg[at];
    // A compression pointer (top bits set) never appears in a question that stands first in its message.
    if (len === undefined || len > 63 || at + 1 + len > msg.length) return { id, flags, rcode: RCODE.FORMERR };
    at += 1;
    if (len === 0) break;
    labels.push(msg.toString('latin1', at, at + len).toLowerCase());
    at += len;
  }
  if (at + 4 > msg.length) return { id, flags, rcode: RCODE.FORMERR };
  const type = msg.readUInt16BE(at);
  return { id, flags, name: labels.join('.'), type, raw: msg.subarray(HEADER, at + 4) };
}

/**
 * Pure: the answer to one query message, with A records from `lookup` (TTL `ttl` seconds); names under
 * `zone` are answered with authority.
 */
export function answer(msg: Buffer, lookup: Lookup, o: { zone: string; ttl: number }): Buffer {
  const q = parseQuery(msg);
  if (!('name' in q)) return header(q.id, q.flags, 0, q.rcode, 0, 0);
  const aa = q.name === o.zone || q.name.endsWith(`.${o.zone}`) ? AA : 0;
  const found = lookup(q.name);
  if (!found) return Buffer.concat([header(q.id, q.flags, aa, RCODE.NXDOMAIN, 1, 0), q.raw]);
  // A known name asked for another type (AAAA, say) gets no records and NOERROR: NXDOMAIN would tell the
  // resolver that the name does not exist at all.
  const addresses = q.type === TYPE_A ? found : [];
  const records = addresses.map((ip) => {
    const r = Buffer.alloc(16);
    r.writeUInt16BE(0xc000 | HEADER, 0); // the name, as a pointer to the question's
    r.writeUInt16BE(TYPE_A, 2);
    r.writeUInt16BE(1, 4); // class IN
    r.writeUInt32BE(o.ttl, 6);
    r.writeUInt16BE(4, 10);
    ip.split('.').forEach((octet, i) => r.writeUInt8(Number(octet), 12 + i));
    return r;
  });
  return Buffer.concat([header(q.id, q.flags, aa, RCODE.NOERROR, 1, records.length), q.raw, ...records]);
}

// The answer keeps the query's opcode (always 0 here) and its recursion-desired bit; recursion is not available.
function header(id: number, queryFlags: number, aa: number, rcode: number, questions: number, answers: number): Buffer {
  const h = Buffer.alloc(HEADER);
  h.writeUInt16BE(id, 0);
  h.writeUInt16BE(QR | (queryFlags & RD) | aa | rcode, 2);
  h.writeUInt16BE(questions, 4);
  h.writeUInt16BE(answers, 6);
  return h;
}
