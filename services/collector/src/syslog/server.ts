import dgram from 'node:dgram';
import net from 'node:net';
import tls from 'node:tls';
import { once } from 'node:events';
import { Registry } from 'prom-client';
import { LIMITS, TENANT_NAME } from '@instant-logs/schema';
import { CodedError, verifiedCommonName } from '@instant-logs/service-kit';
import { acceptRecords, type AcceptDeps } from '../accept.ts';
import type { DecodedItem } from '../decode-body.ts';
import { createBatcher, type Batcher } from './batcher.ts';
import { createFrameSplitter, type FrameSplitter } from './framing.ts';
import { createSyslogMetrics, type SyslogMetrics } from './metrics.ts';
import { parseSyslogLine } from './parse.ts';
import { COLLECTOR_ERRORS } from '../errors.ts';

/** The pino-compatible logger the listeners report to. */
export interface SyslogLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface SyslogServerOptions {
  host: string;
  /** TCP port (0 = ephemeral); no TCP listener when omitted. */
  tcpPort?: number;
  /** UDP port (0 = ephemeral); no UDP listener when omitted. */
  udpPort?: number;
  /** Syslog carries no credentials, so every record of these listeners belongs to this tenant. */
  tenant: string;
  accept: AcceptDeps;
  batch?: { maxRecords?: number; maxDelayMs?: number };
  log: SyslogLog;
  /** Where the syslog counters are registered; or pass `metrics` already created. */
  registry?: Registry;
  metrics?: SyslogMetrics;
  /**
   * Syslog over TLS (RFC 5425) on the TCP listener. With client certificates, a verified
   * certificate's CN (a valid tenant name) owns that connection's records instead of `tenant`.
   */
  tls?: { options: tls.TlsOptions; clientCertificates: boolean };
  /** Offset from UTC of RFC 3164 timestamps, which carry no zone (minutes, default 0). */
  utcOffsetMinutes?: number;
  /** Backoff while the queue refuses a TCP batch. */
  retry?: { initialMs?: number; maxMs?: number };
  /** How long close() keeps retrying refused batches before dropping them. */
  closeTimeoutMs?: number;
}

export interface SyslogServer {
  tcpPort: number | undefined;
  /** The TLS listener, for swapping in rotated certificates (setSecureContext); undefined without TLS. */
  tlsServer: tls.Server | undefined;
  udpPort: number | undefined;
  /** Stops accepting, flushes every pending batch, then resolves. */
  close(): Promise<void>;
}

interface Connection {
  socket: net.Socket;
  splitter: FrameSplitter;
  batcher: Batcher<DecodedItem>;
}

// UDP has no flow control: beyond this many batches waiting, datagrams are dropped and counted.
const UDP_BACKLOG_BATCHES = 4;

/** Starts the syslog TCP and/or UDP listeners and resolves with the ports they bound. */
export async function startSyslogServer(options: SyslogServerOptions): Promise<SyslogServer> {
  const o = validate(options);
  const metrics = options.metrics ?? createSyslogMetrics(options.registry ?? new Registry());
  const { log, accept, tenant } = options;
  let closing = false;
  let closeDeadline = Infinity;

  const decode = (text: string, transport: 'tcp' | 'udp'): DecodedItem | undefined => {
    const parsed = parseSyslogLine(text, { nowMs: accept.clock(), utcOffsetMinutes: o.utcOffsetMinutes });
    if (!parsed) return undefined;
    metrics.messages.inc({ transport, format: parsed.format });
    return { record: parsed.record };
  };

  const publishOnce = async (items: DecodedItem[], owner: string) => {
    const result = await acceptRecords(items, owner, accept);
    if (result.rejected > 0) {
      metrics.dropped.inc({ reason: 'invalid' }, result.rejected);
      log.warn(
        { rejected: result.rejected, errors: result.errors.slice(0, 3) },
        'Syslog records were refused by validation',
      );
    }
  };

  // TCP senders get no answer, so a refused batch is retried for as long as it takes; the socket
  // stays paused meanwhile and the sender's own buffer (or disk queue) holds the rest.
  const publishReliably = async (items: DecodedItem[], owner = tenant) => {
    let delayMs = o.retryInitialMs;
    for (let attempt = 1; ; attempt++) {
      try {
        return await publishOnce(items, owner);
      } catch (err) {
        const reason = dropReason(err);
        const retryable = reason === 'queue_full' || reason === 'queue_unavailable';
        if (retryable && !(closing && Date.now() >= closeDeadline)) {
          if (attempt === 1)
            log.warn({ err, records: items.length }, 'Syslog batch was refused by the queue; retrying');
          await new Promise((resolve) => setTimeout(resolve, delayMs));
          delayMs = Math.min(delayMs * 2, o.retryMaxMs);
          continue;
        }
        metrics.dropped.inc({ reason: retryable ? 'shutdown' : reason }, items.length);
        log.error({ err, records: items.length }, 'Syslog batch was dropped');
        return;
      }
    }
  };

  const connections = new Set<Connection>();
  let tcp: net.Server | undefined;
  let udp: dgram.Socket | undefined;
  let udpBatcher: Batcher<DecodedItem> | undefined;

  if (o.tcpPort !== undefined) {
    const onConnection = (socket: net.Socket) => {
      const owner = options.tls?.clientCertificates ? (certificateTenant(socket) ?? tenant) : tenant;
      const batcher = createBatcher<DecodedItem>({
        maxItems: o.maxRecords,
        maxDelayMs: o.maxDelayMs,
        flush: (items) => publishReliably(items, owner),
        // Flow control is the only acknowledgement TCP syslog has: read no more until this batch is in.
        onBusy: (busy) => (busy ? socket.pause() : !closing && socket.resume()),
      });
      const splitter = createFrameSplitter({
        maxFrameBytes: LIMITS.maxRecordBytes,
        onFrame: (frame) => {
          const item = decode(frame.toString('utf8'), 'tcp');
          if (item) batcher.add(item);
        },
        onProblem: (problem) => metrics.framing.inc({ problem }),
      });
      const connection = { socket, splitter, batcher };
      connections.add(connection);
      socket.on('data', (chunk: Buffer) => splitter.push(chunk));
      socket.on('end', () => splitter.end());
      socket.on('error', (err) => log.warn({ err, remote: socket.remoteAddress }, 'Syslog TCP connection failed'));
      socket.on('close', () => void batcher.drain().then(() => connections.delete(connection)));
    };
    // A TLS server hands over each socket after its handshake, so the peer certificate is known here.
    tcp = options.tls ? tls.createServer(options.tls.options, onConnection) : net.createServer(onConnection);
    if (options.tls) tcp.on('tlsClientError', (err) => log.warn({ err: String(err) }, 'Syslog TLS handshake failed'));
    await listen(tcp, o.host, o.tcpPort);
  }

  if (o.udpPort !== undefined) {
    const batcher = createBatcher<DecodedItem>({
      maxItems: o.maxRecords,
      maxDelayMs: o.maxDelayMs,
      flush: async (items) => {
        try {
          await publishOnce(items, tenant);
        } catch (err) {
          metrics.dropped.inc({ reason: dropReason(err) }, items.length);
          log.warn({ err, records: items.length }, 'Syslog UDP batch was dropped');
        }
      },
    });
    udpBatcher = batcher;
    udp = dgram.createSocket({ type: net.isIPv6(o.host) ? 'udp6' : 'udp4' });
    udp.on('message', (datagram) => {
      if (batcher.size() >= o.maxRecords * UDP_BACKLOG_BATCHES) return metrics.dropped.inc({ reason: 'backlog' });
      const item = decode(datagram.toString('utf8'), 'udp');
      if (item) batcher.add(item);
    });
    udp.on('error', (err) => log.error({ err }, 'Syslog UDP socket failed'));
    try {
      await bindUdp(udp, o.host, o.udpPort);
    } catch (err) {
      tcp?.close();
      throw err;
    }
  }

  const tcpAddress = tcp?.address();
  log.info(
    { tcpPort: portOf(tcpAddress), udpPort: udp?.address().port, tenant, tls: options.tls !== undefined },
    'Syslog listeners started',
  );

  return {
    tcpPort: portOf(tcpAddress),
    tlsServer: tcp instanceof tls.Server ? tcp : undefined,
    udpPort: udp?.address().port,
    async close() {
      if (closing) return;
      closing = true;
      closeDeadline = Date.now() + o.closeTimeoutMs;
      const tcpClosed = tcp ? new Promise<void>((resolve) => tcp!.close(() => resolve())) : Promise.resolve();
      udp?.close();
      await Promise.all(
        [...connections].map(async ({ socket, splitter, batcher }) => {
          socket.pause();
          splitter.end();
          await batcher.drain();
          socket.destroy();
        }),
      );
      await udpBatcher?.drain();
      await tcpClosed;
    },
  };
}

/** Pure: a bounded metric label for why a batch could not be published. */
function dropReason(err: unknown): string {
  if (!(err instanceof CodedError)) return 'publish_error';
  if (err.code === 'QUEUE_FULL') return 'queue_full';
  if (err.code === 'QUEUE_UNAVAILABLE') return 'queue_unavailable';
  if (err.code === 'STORE_REJECTED') return 'rejected';
  return 'publish_error';
}

/** The tenant a verified client certificate names in its CN, or undefined (plain TCP, unverified, or not a tenant name). */
function certificateTenant(socket: net.Socket): string | undefined {
  const name = verifiedCommonName(socket);
  return name && TENANT_NAME.test(name) ? name : undefined;
}

function portOf(address: string | net.AddressInfo | null | undefined): number | undefined {
  return typeof address === 'object' && address !== null ? address.port : undefined;
}

async function listen(server: net.Server, host: string, port: number): Promise<void> {
  server.listen({ host, port });
  await once(server, 'listening');
}

async function bindUdp(socket: dgram.Socket, host: string, port: number): Promise<void> {
  socket.bind({ address: host, port });
  await once(socket, 'listening');
}

function validate(options: SyslogServerOptions) {
  const bad = (field: string, reason: string) => COLLECTOR_ERRORS.INVALID_SYSLOG_OPTION({ field, reason });
  const port = (field: string, value: number | undefined) => {
    if (value !== undefined && (!Number.isInteger(value) || value < 0 || value > 65535))
      throw bad(field, 'must be a port number from 0 to 65535');
    return value;
  };
  const positive = (field: string, value: number, max = Number.MAX_SAFE_INTEGER) => {
    if (!Number.isInteger(value) || value < 1 || value > max)
      throw bad(field, `must be a whole number from 1 to ${max}`);
    return value;
  };
  if (options.tenant.trim() === '') throw bad('tenant', 'must not be empty');
  if (options.tcpPort === undefined && options.udpPort === undefined) throw bad('tcpPort', 'or udpPort must be given');
  const utcOffsetMinutes = options.utcOffsetMinutes ?? 0;
  if (!Number.isInteger(utcOffsetMinutes) || Math.abs(utcOffsetMinutes) > 18 * 60)
    throw bad('utcOffsetMinutes', 'must be whole minutes within ±18 hours');
  return Object.freeze({
    host: options.host,
    tcpPort: port('tcpPort', options.tcpPort),
    udpPort: port('udpPort', options.udpPort),
    maxRecords: positive('batch.maxRecords', options.batch?.maxRecords ?? 5000, LIMITS.maxRecordsPerRequest),
    maxDelayMs: positive('batch.maxDelayMs', options.batch?.maxDelayMs ?? 100),
    retryInitialMs: positive('retry.initialMs', options.retry?.initialMs ?? 100),
    retryMaxMs: positive('retry.maxMs', options.retry?.maxMs ?? 5000),
    closeTimeoutMs: positive('closeTimeoutMs', options.closeTimeoutMs ?? 10_000),
    utcOffsetMinutes,
  });
}
