import { Counter, type Registry } from 'prom-client';

/** The syslog listeners' metrics, registered on the caller's registry. */
export function createSyslogMetrics(registry: Registry) {
  return {
    messages: new Counter({
      name: 'instant_logs_syslog_messages_total',
      help: 'Syslog messages received, by transport and the grammar they followed.',
      labelNames: ['transport', 'format'],
      registers: [registry],
    }),
    dropped: new Counter({
      name: 'instant_logs_syslog_dropped_total',
      help: 'Syslog messages not stored, by reason.',
      labelNames: ['reason'],
      registers: [registry],
    }),
    framing: new Counter({
      name: 'instant_logs_syslog_framing_problems_total',
      help: 'TCP frames truncated (oversize) or with a bad octet count.',
      labelNames: ['problem'],
      registers: [registry],
    }),
  };
}
export type SyslogMetrics = ReturnType<typeof createSyslogMetrics>;
