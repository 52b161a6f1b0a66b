import { orderId, sku, type Request } from './request.ts';
import * as gateway from './shop/api-gateway.ts';
import * as auth from './shop/auth.ts';
import * as checkout from './shop/checkout.ts';
import * as email from './shop/email-worker.ts';
import * as inventory from './shop/inventory.ts';
import * as payments from './shop/payments.ts';
import { runtimeNoise } from './shop/runtime.ts';
import * as search from './shop/search.ts';

type Handled = { ms: number; status: number };

/** Runs one customer request through the gateway and the services behind it; every record shares its trace. */
export function runRequest(req: Request): void {
  const sale = req.incident === 'flash-sale';
  const flow = req.rng.weighted<(req: Request) => void>([
    [browse, 35],
    [find, 25],
    [addToCart, sale ? 25 : 10],
    [login, 8],
    [placeOrder, sale ? 30 : 12],
    [orderStatus, 10],
  ]);
  flow(req);
}

/** Logs one untraced background event: runtime noise, consumer lag, cache statistics, scheduled jobs. */
export function runBackground(req: Request): void {
  // A backlog makes the worker report its lag far more often: its alerting fires on every poll.
  const lagWeight = req.incident === 'email-backlog' ? 10 : 2;
  const job = req.rng.weighted<(req: Request) => void>([
    [runtimeNoise, 5],
    [email.reportLag, lagWeight],
    [inventory.cacheStats, 1.5],
    [search.refreshIndex, 1.5],
    [checkout.expireCarts, 0.2],
    [(r) => payments.refund(r, orderId(r.rng)), 0.3],
    [auth.rotateKeys, 0.05],
  ]);
  job(req);
}

// The gateway's part of every request: throttling and load shedding up front, then the upstream's
// work, then the access line, or a 504 when the upstream took longer than the gateway waits.
function serve(
  req: Request,
  method: string,
  path: string,
  route: string,
  upstream: string,
  handle: (at: number) => Handled,
): void {
  if (gateway.rateLimited(req, method, path, route) || gateway.shedLoad(req, method, path, route)) return;
  const overhead = req.rng.latency(1.2, 0.3);
  const { ms, status } = handle(overhead);
  if (ms > gateway.UPSTREAM_TIMEOUT_MS) {
    gateway.upstreamTimeout(req, upstream);
    gateway.access(req, gateway.UPSTREAM_TIMEOUT_MS + overhead, method, path, route, 504);
    return;
  }
  gateway.access(req, ms + 2 * overhead, method, path, route, status);
}

function browse(req: Request): void {
  const item = sku(req.rng);
  serve(req, 'GET', `/api/products/${item}`, '/api/products/:sku', 'inventory', (at) => ({
    ms: inventory.getProduct(req, at, item),
    status: 200,
  }));
}

function find(req: Request): void {
  const term = search.pickTerm(req.rng);
  serve(req, 'GET', `/api/search?q=${encodeURIComponent(term)}`, '/api/search', 'search', (at) => ({
    ms: search.query(req, at, term),
    status: 200,
  }));
}

function login(req: Request): void {
  serve(req, 'POST', '/api/auth/login', '/api/auth/login', 'auth', (at) => auth.login(req, at));
}

function addToCart(req: Request): void {
  serve(req, 'POST', '/api/cart/items', '/api/cart/items', 'checkout', (at) => {
    const token = auth.verifyToken(req, at);
    if (!token.ok) return { ms: token.ms, status: 401 };
    const item = sku(req.rng);
    const quantity = req.rng.int(1, 3);
    const stock = inventory.checkStock(req, at + token.ms, item, quantity);
    if (!stock.ok) return { ms: token.ms + stock.ms, status: 409 };
    const t = token.ms + stock.ms;
    return { ms: t + checkout.addToCart(req, at + t, item, quantity), status: 201 };
  });
}

function orderStatus(req: Request): void {
  const order = orderId(req.rng);
  serve(req, 'GET', `/api/orders/${order}`, '/api/orders/:id', 'checkout', (at) => {
    const token = auth.verifyToken(req, at);
    if (!token.ok) return { ms: token.ms, status: 401 };
    const found = checkout.getOrder(req, at + token.ms, order);
    return { ms: token.ms + found.ms, status: found.found ? 200 : 404 };
  });
}

// The one flow that crosses every service: auth, cart, stock, payment, and the confirmation email
// that the worker sends later under the same trace.
function placeOrder(req: Request): void {
  const { rng } = req;
  serve(req, 'POST', '/api/checkout', '/api/checkout', 'checkout', (at) => {
    const token = auth.verifyToken(req, at);
    if (!token.ok) return { ms: token.ms, status: 401 };
    let t = token.ms;
    const cart = checkout.loadCart(req, at + t);
    t += cart.ms;
    const order = orderId(rng);
    if (checkout.crash(req, at + t, order)) return { ms: t + 1, status: 500 };
    const stock = inventory.reserve(req, at + t, order, sku(rng), rng.int(1, 3));
    t += stock.ms;
    if (!stock.ok) {
      checkout.orderFailed(req, at + t, order, 'stock reservation failed');
      return { ms: t, status: 409 };
    }
    const paid = payments.charge(req, at + t, order, cart.total);
    t += paid.ms;
    if (paid.outcome !== 'authorized') {
      checkout.orderFailed(
        req,
        at + t,
        order,
        paid.outcome === 'declined' ? 'payment declined' : 'payment provider unavailable',
      );
      return { ms: t, status: paid.outcome === 'declined' ? 402 : 503 };
    }
    checkout.orderCreated(req, at + t, order, cart.total, t);
    email.sendConfirmation(req, at + t, order);
    return { ms: t, status: 201 };
  });
}
