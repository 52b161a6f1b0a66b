import { ms, type Request } from '../request.ts';

const S = 'inventory';
const SLOW_QUERY_MS = 500;
const STATEMENT_TIMEOUT_MS = 5000;

/** One database query at `at`: logs its timing (a warning with the SQL when slow) and returns the time it took. */
function query(req: Request, at: number, name: string, statement: string, medianMs: number): number {
  // A slow database makes every query far slower, with a fatter tail, and the statement timeout cuts some off.
  const slow = req.incident === 'inventory-db-slow';
  if (slow && req.rng.chance(0.12)) {
    req.log(
      S,
      at + STATEMENT_TIMEOUT_MS,
      'error',
      `Query ${name} canceled: statement timeout (${STATEMENT_TIMEOUT_MS}ms)`,
      { db: { statement } },
    );
    return STATEMENT_TIMEOUT_MS + 1;
  }
  const took = slow ? req.rng.latency(medianMs * 60, 0.9) : req.rng.latency(medianMs, 0.6);
  if (took >= SLOW_QUERY_MS)
    req.log(S, at + took, 'warn', `Slow query (${Math.round(took)}ms): ${statement}`, {
      db: { duration_ms: Math.round(took) },
    });
  else req.log(S, at + took, 'debug', `Query ${name} took ${ms(took)}ms`, { db: { duration_ms: ms(took) } });
  return took;
}

/** Reads a product, from cache when it can; returns the time spent. */
export function getProduct(req: Request, at: number, sku: string): number {
  if (req.rng.chance(0.82)) {
    req.log(S, at + 0.4, 'trace', `Cache hit product:${sku}`);
    return 0.6;
  }
  req.log(S, at + 0.5, 'debug', `Cache miss product:${sku}`);
  return 0.6 + query(req, at + 0.6, 'products.by_sku', 'SELECT * FROM products WHERE sku = $1', 6);
}

/** Checks availability for an add-to-cart; returns the time spent and whether enough is in stock. */
export function checkStock(req: Request, at: number, sku: string, quantity: number): { ms: number; ok: boolean } {
  const took = query(req, at, 'stock.available', 'SELECT available FROM stock WHERE sku = $1', 3);
  if (req.rng.chance(req.incident === 'flash-sale' ? 0.15 : 0.03)) {
    const available = req.rng.int(0, quantity - 1);
    req.log(S, at + took, 'warn', `Out of stock: ${sku} (requested ${quantity}, available ${available})`, {
      product: { sku },
    });
    return { ms: took, ok: false };
  }
  return { ms: took, ok: true };
}

/** Reserves stock for an order, retrying lock timeouts; returns the time spent and the outcome. */
export function reserve(
  req: Request,
  at: number,
  order: string,
  sku: string,
  quantity: number,
): { ms: number; ok: boolean } {
  const { rng } = req;
  let t = 0;
  const lockTrouble = req.incident === 'inventory-db-slow' ? 0.35 : 0.01;
  for (let attempt = 1; attempt <= 3; attempt++) {
    t += query(req, at + t, 'stock.reserve', 'UPDATE stock SET reserved = reserved + $2 WHERE sku = $1', 4);
    if (!rng.chance(lockTrouble)) {
      req.log(S, at + t, 'info', `Reserved ${quantity} x ${sku} for ${order}`, {
        order: { id: order },
        product: { sku },
      });
      return { ms: t, ok: true };
    }
    if (attempt < 3)
      req.log(S, at + t, 'warn', `Lock wait timeout on ${sku}, retrying (attempt ${attempt}/3)`, {
        order: { id: order },
      });
  }
  req.log(S, at + t, 'error', `Stock reservation failed for ${order}: lock wait timeout after 3 attempts`, {
    order: { id: order },
    product: { sku },
  });
  return { ms: t, ok: false };
}

/** Logs the cache's periodic statistics: an untraced background event. */
export function cacheStats(req: Request): void {
  const hitRate = req.incident === 'inventory-db-slow' ? req.rng.int(40, 60) : req.rng.int(78, 88);
  req.log(S, 0, 'debug', `Product cache: ${req.rng.int(9000, 12000)} keys, hit rate ${hitRate}%`);
}

/** Logs the start of a database slowdown: the connection pool runs dry. */
export function dbSlowStarted(req: Request): void {
  req.log(S, 0, 'error', 'Connection pool exhausted (20/20 in use, 37 waiting)', { db: { pool_size: 20 } });
}

/** Logs the end of a database slowdown. */
export function dbSlowEnded(req: Request): void {
  req.log(S, 0, 'info', 'Database latency back to normal (p99 14ms)');
}
