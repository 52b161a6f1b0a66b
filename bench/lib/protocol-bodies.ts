// The same sample records encoded as each ingest protocol's clients send them, so the protocols
// are compared on identical content. The encoders are small and written for the benchmark only.
import { compressSync } from 'snappy';
import { createTrafficGenerator, type SampleRecord } from '@instant-logs/sample-app';
import { severityNumberOf } from '@instant-logs/schema';

/** One protocol's request: where it goes, how it is labelled, and what a success looks like. */
export interface ProtocolRequest {
  protocol: string;
  path: string;
  headers: Record<string, string>;
  okStatus: number;
  bodies: Buffer[];
}

const msOf = (r: SampleRecord) => (typeof r.timestamp === 'number' ? r.timestamp : Date.parse(r.timestamp));
const nsText = (r: SampleRecord) => `${msOf(r)}000000`;
const strings = (o: Record<string, unknown>) =>
  Object.entries(o).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)] as const);

/** Pure: records grouped by service, in first-seen order (OTLP and Loki send one group per resource/stream). */
function byService(records: SampleRecord[]): SampleRecord[][] {
  const groups = new Map<string, SampleRecord[]>();
  for (const r of records) (groups.get(r.service) ?? groups.set(r.service, []).get(r.service)!).push(r);
  return [...groups.values()];
}

function otlpJson(records: SampleRecord[]): Buffer {
  const kv = (o: Record<string, unknown>) => strings(o).map(([key, value]) => ({ key, value: { stringValue: value } }));
  return Buffer.from(
    JSON.stringify({
      resourceLogs: byService(records).map((group) => ({
        resource: { attributes: kv({ ...group[0]!.resource, 'service.name': group[0]!.service }) },
        scopeLogs: [
          {
            logRecords: group.map((r) => ({
              timeUnixNano: nsText(r),
              severityNumber: severityNumberOf(r.level),
              severityText: r.level.toUpperCase(),
              body: { stringValue: r.message },
              attributes: kv(r.attributes),
              ...(r.trace_id ? { traceId: r.trace_id, spanId: r.span_id } : {}),
            })),
          },
        ],
      })),
    }),
  );
}

// A minimal protobuf writer: length-delimited fields, varints and fixed64.
const varint = (n: number | bigint): Buffer => {
  const out: number[] = [];
  let v = BigInt(n);
  while (v > 127n) {
    out.push(Number(v & 127n) | 128);
    v >>= 7n;
  }
  out.push(Number(v));
  return Buffer.from(out);
};
const field = (no: number, payload: Buffer | string): Buffer => {
  const bytes = typeof payload === 'string' ? Buffer.from(payload) : payload;
  return Buffer.concat([varint((no << 3) | 2), varint(bytes.length), bytes]);
};
const varintField = (no: number, n: number | bigint) => Buffer.concat([varint(no << 3), varint(n)]);
const fixed64Field = (no: number, n: bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(n);
  return Buffer.concat([varint((no << 3) | 1), b]);
};

function otlpProto(records: SampleRecord[]): Buffer {
  // KeyValue { key = 1; value = 2 (AnyValue { string_value = 1 }) }
  const keyValues = (o: Record<string, unknown>) =>
    strings(o).map(([k, v]) => Buffer.concat([field(1, k), field(2, field(1, v))]));
  return Buffer.concat(
    byService(records).map((group) =>
      field(
        1,
        Buffer.concat([
          field(
            1,
            Buffer.concat(
              keyValues({ ...group[0]!.resource, 'service.name': group[0]!.service }).map((kv) => field(1, kv)),
            ),
          ),
          field(
            2,
            Buffer.concat(
              group.map((r) =>
                field(
                  2,
                  Buffer.concat([
                    fixed64Field(1, BigInt(nsText(r))),
                    varintField(2, severityNumberOf(r.level)),
                    field(3, r.level.toUpperCase()),
                    field(5, field(1, r.message)),
                    ...keyValues(r.attributes).map((kv) => field(6, kv)),
                    ...(r.trace_id
                      ? [field(9, Buffer.from(r.trace_id, 'hex')), field(10, Buffer.from(r.span_id!, 'hex'))]
                      : []),
                  ]),
                ),
              ),
            ),
          ),
        ]),
      ),
    ),
  );
}

function elasticBulk(records: SampleRecord[]): Buffer {
  const lines: string[] = [];
  for (const r of records) {
    lines.push(JSON.stringify({ create: { _index: 'logs-shop' } }));
    lines.push(
      JSON.stringify({
        '@timestamp': new Date(msOf(r)).toISOString(),
        message: r.message,
        log: { level: r.level },
        service: { name: r.service },
        ...(r.trace_id ? { trace: { id: r.trace_id }, span: { id: r.span_id } } : {}),
        ...r.attributes,
      }),
    );
  }
  return Buffer.from(`${lines.join('\n')}\n`);
}

// Loki label names are identifiers: dotted resource keys become underscores, as Loki's own clients do.
const lokiLabels = (r: SampleRecord) =>
  Object.fromEntries(
    Object.entries({ service_name: r.service, level: r.level, ...r.resource }).map(([k, v]) => [
      k.replace(/\W/g, '_'),
      v,
    ]),
  );

function lokiJson(records: SampleRecord[]): Buffer {
  return Buffer.from(
    JSON.stringify({
      streams: byService(records).map((group) => ({
        stream: lokiLabels(group[0]!),
        values: group.map((r) => [nsText(r), r.message, Object.fromEntries(strings(r.attributes))]),
      })),
    }),
  );
}

function lokiProto(records: SampleRecord[]): Buffer {
  const selector = (labels: Record<string, string>) =>
    `{${Object.entries(labels)
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join(', ')}}`;
  const push = Buffer.concat(
    byService(records).map((group) =>
      field(
        1,
        Buffer.concat([
          field(1, selector(lokiLabels(group[0]!))),
          ...group.map((r) => {
            const ms = msOf(r);
            const ts = Buffer.concat([varintField(1, Math.floor(ms / 1000)), varintField(2, (ms % 1000) * 1e6)]);
            const metadata = strings(r.attributes).map(([k, v]) => field(3, Buffer.concat([field(1, k), field(2, v)])));
            return field(2, Buffer.concat([field(1, ts), field(2, r.message), ...metadata]));
          }),
        ]),
      ),
    ),
  );
  return compressSync(push);
}

/** Pure apart from the generator's clock: `bodies` request bodies of `perBody` records for every protocol. */
export function protocolRequests(bodies: number, perBody: number, seed: number): ProtocolRequest[] {
  const generator = createTrafficGenerator({ seed, clock: Date.now });
  const batches = Array.from({ length: bodies }, () => generator.batch(perBody));
  const make = (
    protocol: string,
    path: string,
    contentType: string,
    okStatus: number,
    encode: (r: SampleRecord[]) => Buffer,
  ): ProtocolRequest => ({
    protocol,
    path,
    headers: { 'content-type': contentType },
    okStatus,
    bodies: batches.map(encode),
  });
  return [
    make('JSON (NDJSON)', '/api/v1/logs', 'application/x-ndjson', 202, (r) =>
      Buffer.from(r.map((x) => JSON.stringify(x)).join('\n')),
    ),
    make('JSON (array)', '/api/v1/logs', 'application/json', 202, (r) => Buffer.from(JSON.stringify(r))),
    make('OTLP/HTTP JSON', '/v1/logs', 'application/json', 200, otlpJson),
    make('OTLP/HTTP protobuf', '/v1/logs', 'application/x-protobuf', 200, otlpProto),
    make('Elasticsearch _bulk', '/_bulk', 'application/x-ndjson', 200, elasticBulk),
    make('Loki push JSON', '/loki/api/v1/push', 'application/json', 204, lokiJson),
    make('Loki push protobuf+snappy', '/loki/api/v1/push', 'application/x-protobuf', 204, lokiProto),
  ];
}

/** Pure: RFC 5424 syslog frames (octet-counted, as syslog-ng's syslog() destination sends them) of the same records. */
export function syslogFrames(count: number, seed: number): Buffer {
  const generator = createTrafficGenerator({ seed, clock: Date.now });
  const severity: Record<string, number> = { trace: 7, debug: 7, info: 6, warn: 4, error: 3, fatal: 2 };
  const frames = generator.batch(count).map((r) => {
    const msg = `<${8 + (severity[r.level] ?? 6)}>1 ${new Date(msOf(r)).toISOString()} ${r.resource['host.name'] ?? 'host'} ${r.service} - - - ${r.message}`;
    return `${Buffer.byteLength(msg)} ${msg}`;
  });
  return Buffer.from(frames.join(''));
}
