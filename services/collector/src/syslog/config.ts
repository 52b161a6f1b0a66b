import { z } from 'zod';
import type { Registry } from 'prom-client';
import { TENANT_NAME } from '@instant-logs/schema';
import type { AcceptDeps } from '../accept.ts';
import { startSyslogServer, type SyslogLog, type SyslogServer, type SyslogServerOptions } from './server.ts';

/** The syslog listeners' environment, shared by the collector and the embedded process. */
export const SyslogEnv = {
  /** Syslog listeners (RFC 5424/3164); unset = off. Syslog carries no credentials, so one tenant owns them. */
  SYSLOG_TCP_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  SYSLOG_UDP_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  SYSLOG_TENANT: z.string().regex(TENANT_NAME).default('default'),
  /** Offset from UTC of RFC 3164 timestamps, which carry no zone. */
  SYSLOG_UTC_OFFSET_MINUTES: z.coerce.number().int().min(-1440).max(1440).default(0),
};
type SyslogConfig = { HOST: string } & z.infer<z.ZodObject<typeof SyslogEnv>>;

/** Starts the listeners the environment asks for (over TLS when the service has TLS), or resolves undefined when it asks for none. */
export async function startSyslogFromEnv(
  config: SyslogConfig,
  deps: { accept: AcceptDeps; registry: Registry; log: SyslogLog; tls?: SyslogServerOptions['tls'] },
): Promise<SyslogServer | undefined> {
  if (config.SYSLOG_TCP_PORT === undefined && config.SYSLOG_UDP_PORT === undefined) return undefined;
  return startSyslogServer({
    host: config.HOST,
    ...(config.SYSLOG_TCP_PORT !== undefined ? { tcpPort: config.SYSLOG_TCP_PORT } : {}),
    ...(config.SYSLOG_UDP_PORT !== undefined ? { udpPort: config.SYSLOG_UDP_PORT } : {}),
    tenant: config.SYSLOG_TENANT,
    utcOffsetMinutes: config.SYSLOG_UTC_OFFSET_MINUTES,
    ...deps,
  });
}
