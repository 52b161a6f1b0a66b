import { ms, type Request } from '../request.ts';

const S = 'auth';

/** Verifies the caller's JWT at `at`; returns the time spent and whether it was valid. */
export function verifyToken(req: Request, at: number): { ms: number; ok: boolean } {
  const { rng, user } = req;
  const took = rng.latency(1.8, 0.4);
  if (rng.chance(0.025)) {
    req.log(S, at + took, 'warn', `JWT expired for user ${user} (${rng.int(1, 180)} min ago)`, { user: { id: user } });
    return { ms: took, ok: false };
  }
  if (rng.chance(0.002)) {
    req.log(S, at + took, 'warn', 'Rejected token: signature does not match key kid=2025-06', { user: { id: user } });
    return { ms: took, ok: false };
  }
  if (rng.chance(0.05)) req.log(S, at + 0.2, 'trace', 'JWKS cache hit kid=2025-06');
  req.log(S, at + took, 'debug', `Token verified for ${user}`, { user: { id: user } });
  return { ms: took, ok: true };
}

/** A password or SSO login at `at`; returns the time spent and the HTTP status to answer. */
export function login(req: Request, at: number): { ms: number; status: number } {
  const { rng, user } = req;
  const via = rng.weighted([
    ['password', 6],
    ['google', 3],
    ['apple', 1],
  ] as const);
  // bcrypt (cost 10) dominates a password login; SSO only checks the provider's token.
  const took = via === 'password' ? rng.latency(85, 0.3) : rng.latency(12, 0.5);
  if (via === 'password' && rng.chance(0.12)) {
    const attempt = rng.int(1, 5);
    const message =
      attempt === 5
        ? `Account ${user} locked after 5 failed logins`
        : `Login failed for ${user}: invalid password (attempt ${attempt}/5)`;
    req.log(S, at + took, 'warn', message, { user: { id: user }, auth: { method: via } });
    return { ms: took, status: 401 };
  }
  if (via === 'password') req.log(S, at + took * 0.9, 'debug', `Password hash check took ${ms(took * 0.9)}ms`);
  req.log(S, at + took, 'info', `Login succeeded for ${user} via ${via}`, {
    user: { id: user },
    auth: { method: via },
  });
  return { ms: took, status: 200 };
}

/** Logs the periodic signing-key rotation: an untraced background event. */
export function rotateKeys(req: Request): void {
  req.log(S, 0, 'info', `Rotated signing keys: active kid=2025-06, ${req.rng.int(1, 3)} retired`);
}
