import { SERVICES, versionOf, type ServiceName } from '../fleet.ts';
import { ms, type Request } from '../request.ts';

// Node services share a runtime, so GC, pool and health lines look alike wherever they come from.
const NODE_SERVICES = SERVICES.filter((s) => s !== 'api-gateway');

/** Logs one line of runtime noise from a random service: an untraced background event. */
export function runtimeNoise(req: Request): void {
  const { rng } = req;
  const service = rng.pick(NODE_SERVICES);
  const kind = rng.weighted([
    ['gc', 5],
    ['health', 4],
    ['pool', 2],
    ['crash', 0.02],
  ] as const);
  if (kind === 'gc') gcPause(req, service);
  else if (kind === 'health') req.log(service, 0, 'trace', 'Health check passed: /healthz 200');
  else if (kind === 'pool')
    req.log(service, 0, 'debug', `DB pool: ${rng.int(2, 18)}/20 connections in use`, { db: { pool_size: 20 } });
  else crashAndRestart(req, service);
}

function gcPause(req: Request, service: ServiceName): void {
  const { rng } = req;
  const major = rng.chance(0.1);
  const took = major ? rng.latency(90, 0.7) : rng.latency(4, 0.5);
  const heapMb = rng.int(180, 900);
  if (took > 200) {
    req.log(service, 0, 'warn', `Long GC pause: ${Math.round(took)}ms (mark-compact), heap ${heapMb} MB`, {
      gc: { pause_ms: Math.round(took) },
    });
  } else {
    req.log(service, 0, 'debug', `GC pause ${ms(took)}ms (${major ? 'mark-compact' : 'scavenge'})`, {
      gc: { pause_ms: ms(took) },
    });
  }
}

// The process dies and Kubernetes restarts it: the fatal line, then the new process's start-up line.
function crashAndRestart(req: Request, service: ServiceName): void {
  const cause = req.rng.pick([
    'Error: connect ECONNREFUSED 10.0.4.12:5432',
    'FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory',
  ]);
  req.log(service, 0, 'fatal', `Process exiting after uncaught exception: ${cause}`);
  req.log(
    service,
    req.rng.int(4000, 9000),
    'info',
    `Started ${service} ${versionOf(service)} on :8080 in ${req.rng.int(600, 2400)}ms`,
  );
}
