import type { Request } from './request.ts';
import type { Rng } from './rng.ts';
import * as email from './shop/email-worker.ts';
import * as inventory from './shop/inventory.ts';
import * as payments from './shop/payments.ts';

export type IncidentKind = 'payments-outage' | 'inventory-db-slow' | 'email-backlog' | 'flash-sale';

/** One incident's time span in epoch milliseconds; `endMs` may lie in the future while it runs. */
export interface IncidentWindow {
  kind: IncidentKind;
  startMs: number;
  endMs: number;
}

interface IncidentSpec {
  weight: number;
  /** Traffic multiplier while it lasts: clients retry, or a sale draws a crowd. */
  load: number;
  start?: (req: Request) => void;
  end?: (req: Request) => void;
}

const SPECS: Record<IncidentKind, IncidentSpec> = {
  'payments-outage': { weight: 4, load: 1.6, start: payments.breakerOpened, end: payments.breakerClosed },
  'inventory-db-slow': { weight: 2, load: 1.3, start: inventory.dbSlowStarted, end: inventory.dbSlowEnded },
  'email-backlog': { weight: 2, load: 1.1, start: email.backlogStarted, end: email.backlogEnded },
  'flash-sale': { weight: 2, load: 2.5 },
};
const KINDS = Object.entries(SPECS).map(([kind, spec]) => [kind as IncidentKind, spec.weight] as const);

// Often enough that a demo shows one within a minute, rare enough that "normal" stays the norm.
const FIRST_AFTER_MS = [20_000, 60_000] as const;
const BETWEEN_MS = [120_000, 300_000] as const;
const DURATION_MS = [30_000, 90_000] as const;

/** Which incident runs when: a deterministic schedule drawn from the generator's random source. */
export interface IncidentSchedule {
  /**
   * Moves the schedule forward to `atMs` (never backward) and returns the incident running then;
   * `announce` is called as one starts or ends, to log the lines that mark the change.
   */
  advance(atMs: number, announce: (kind: IncidentKind, log: (req: Request) => void) => void): IncidentKind | null;
  /** Traffic multiplier at the last `advance`: 1 outside incidents. */
  load(): number;
  /** Incidents started so far, oldest first. */
  windows(): readonly IncidentWindow[];
}

/** Pure apart from `rng`: an incident schedule starting at `startMs`. */
export function createIncidentSchedule(rng: Rng, startMs: number): IncidentSchedule {
  const started: IncidentWindow[] = [];
  let current: IncidentWindow | null = null;
  let nextStartMs = startMs + rng.int(...FIRST_AFTER_MS);
  return {
    advance(atMs, announce) {
      if (current && atMs >= current.endMs) {
        const ended = current;
        current = null;
        nextStartMs = ended.endMs + rng.int(...BETWEEN_MS);
        const end = SPECS[ended.kind].end;
        if (end) announce(ended.kind, end);
      }
      if (!current && atMs >= nextStartMs) {
        const kind = rng.weighted(KINDS);
        current = { kind, startMs: atMs, endMs: atMs + rng.int(...DURATION_MS) };
        started.push(current);
        const start = SPECS[kind].start;
        if (start) announce(kind, start);
      }
      return current?.kind ?? null;
    },
    load: () => (current ? SPECS[current.kind].load : 1),
    windows: () => started,
  };
}
