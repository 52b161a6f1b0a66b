import { z } from 'zod';

/** The operator's environment, as its Helm chart sets it. */
export const OperatorConfig = z.object({
  HOST: z.string().default('0.0.0.0'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  /** Watch only this namespace; empty watches all. */
  WATCH_NAMESPACE: z.string().default(''),
  LEADER_ELECTION: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true'),
  POD_NAMESPACE: z.string().default('default'),
  POD_NAME: z.string().optional(),
  /** The leader Lease's duration; a dead leader is replaced after about this long. */
  LEASE_DURATION_SECONDS: z.coerce.number().int().min(1).default(15),
  WORKERS: z.coerce.number().int().min(1).max(32).default(2),
  RESYNC_SECONDS: z.coerce.number().int().min(10).default(300),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});
export type OperatorConfig = z.infer<typeof OperatorConfig>;
