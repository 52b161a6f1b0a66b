import { z } from 'zod';

/** The Idempotency-Key window's environment, the same for the embedded process and the Kafka path's processor. */
export const IdempotencyEnv = {
  /**
   * How long a request's Idempotency-Key is remembered once its records are stored: a retry within it is not
   * stored again (the embedded process also answers it with the first answer).
   */
  IDEMPOTENCY_WINDOW_S: z.coerce
    .number()
    .int()
    .min(1)
    .max(7 * 86_400)
    .default(600),
};
