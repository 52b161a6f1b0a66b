import { z } from 'zod';
import { DEFAULT_ALERTING, type AlertingOptions } from './evaluator.ts';

/** The alert evaluator's environment, shared by the query service and the embedded mode. */
export const AlertEnv = {
  ALERT_EVAL_INTERVAL_MS: z.coerce.number().int().min(100).max(3_600_000).default(60_000),
  ALERT_RESEND_INTERVAL_MS: z.coerce.number().int().min(1_000).max(86_400_000).default(60_000),
  ALERT_WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
  ALERT_WEBHOOK_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(3),
  /** "false" leaves evaluation to other processes; this one still serves the API. */
  ALERT_EVALUATE: z.enum(['true', 'false']).default('true'),
  /** The dashboard's address as people reach it, for links in notifications; default: this listener on localhost. */
  PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
};

/** Pure: the evaluator's settings from a parsed environment. */
export function alertingFromEnv(env: z.infer<z.ZodObject<typeof AlertEnv>>, port: number): AlertingOptions {
  return {
    intervalMs: env.ALERT_EVAL_INTERVAL_MS,
    resendMs: env.ALERT_RESEND_INTERVAL_MS,
    publicUrl: env.PUBLIC_URL ?? `http://localhost:${port}`,
    delivery: {
      ...DEFAULT_ALERTING.delivery,
      timeoutMs: env.ALERT_WEBHOOK_TIMEOUT_MS,
      attempts: env.ALERT_WEBHOOK_ATTEMPTS,
    },
    evaluate: env.ALERT_EVALUATE === 'true',
  };
}
