import { ms, type Request } from '../request.ts';

const S = 'checkout';

// Real stack traces are multi-line bodies; the store and the dashboard must cope with them.
const STACKS = [
  "TypeError: Cannot read properties of undefined (reading 'unitPrice')\n    at computeTotals (/app/dist/cart/totals.js:42:31)\n    at CheckoutService.placeOrder (/app/dist/checkout/service.js:118:24)",
  'Error: Timeout acquiring a connection after 2000ms. The pool is probably full.\n    at Pool.acquire (/app/node_modules/pg-pool/index.js:45:11)\n    at OrderRepo.insert (/app/dist/orders/repo.js:57:18)',
  'RangeError: Invalid currency code: undefined\n    at new Money (/app/dist/money.js:12:13)\n    at toOrderLines (/app/dist/checkout/lines.js:23:9)',
] as const;

/** Adds an item to the shopper's cart; returns the time spent. */
export function addToCart(req: Request, at: number, sku: string, quantity: number): number {
  const took = req.rng.latency(3, 0.4);
  req.log(S, at + took, 'debug', `Added ${quantity} x ${sku} to cart of ${req.user}`, { product: { sku }, quantity });
  return took;
}

/** Loads the cart before an order; returns the time spent and the order's total as "59.90 EUR". */
export function loadCart(req: Request, at: number): { ms: number; items: number; total: string } {
  const took = req.rng.latency(4, 0.5);
  const items = req.rng.int(1, 6);
  const total = `${req.rng.int(9, 60 * items)}.${req.rng.int(10, 99)} EUR`;
  req.log(S, at + took, 'debug', `Loaded cart for ${req.user}: ${items} items, ${total}`, { user: { id: req.user } });
  return { ms: took, items, total };
}

/** Rarely fails an order with a stack trace, more often when the flash sale strains the pool; returns whether it did. */
export function crash(req: Request, at: number, order: string): boolean {
  if (!req.rng.chance(req.incident === 'flash-sale' ? 0.06 : 0.004)) return false;
  const stack = req.incident === 'flash-sale' ? STACKS[1] : req.rng.pick(STACKS);
  req.log(S, at, 'error', stack, { order: { id: order } });
  return true;
}

/** Logs an order that went through. */
export function orderCreated(req: Request, at: number, order: string, total: string, durationMs: number): void {
  req.log(S, at, 'info', `Order ${order} created: ${total}`, { order: { id: order }, duration_ms: ms(durationMs) });
}

/** Logs an order that could not be completed and why. */
export function orderFailed(req: Request, at: number, order: string, reason: string): void {
  req.log(S, at, 'warn', `Order ${order} failed: ${reason}`, { order: { id: order }, reason });
}

/** Reads an order for the status page; returns the time spent and whether it exists. */
export function getOrder(req: Request, at: number, order: string): { ms: number; found: boolean } {
  const took = req.rng.latency(5, 0.6);
  const found = !req.rng.chance(0.03);
  req.log(S, at + took, 'debug', found ? `Fetched ${order} in ${ms(took)}ms` : `Order ${order} not found`, {
    order: { id: order },
  });
  return { ms: took, found };
}

/** Logs the hourly cleanup of abandoned carts: an untraced background event. */
export function expireCarts(req: Request): void {
  req.log(S, 0, 'info', `Expired ${req.rng.int(20, 400)} abandoned carts older than 72h`);
}
