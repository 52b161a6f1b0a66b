import { runBackground, runRequest } from './flows.ts';
import { createIncidentSchedule, type IncidentWindow } from './incidents.ts';
import { createRequest, type RecordSink, type SampleRecord } from './request.ts';
import { createRng } from './rng.ts';
import { createTimeQueue } from './time-queue.ts';
import * as payments from './shop/payments.ts';

export interface GeneratorOptions {
  seed: number;
  /** Start of simulated time in epoch ms, when no clock is given; 2026-01-01T00:00:00Z by default. */
  startMs?: number;
  /** A wall clock in epoch ms: records are stamped with real time instead of simulated time. */
  clock?: () => number;
}

/** A simulated shop's log stream. */
export interface TrafficGenerator {
  next(): SampleRecord;
  batch(n: number): SampleRecord[];
  /** Traffic multiplier now: 1 normally, higher while an incident or a sale draws extra requests. */
  load(): number;
  /** Incidents started so far, oldest first; the last may still be running. */
  incidents(): readonly IncidentWindow[];
}

// A fixed default so that the same seed yields the same records byte for byte.
const DEFAULT_START_MS = Date.UTC(2026, 0, 1);
// Simulated arrival rate at load 1; requests log about three records each, so ~200 records/s.
const REQUESTS_PER_SECOND = 70;
const BACKGROUND_SHARE = 0.12;

/** Deterministic for a given seed (and clock readings): a traffic generator for the sample shop. */
export function createTrafficGenerator(options: GeneratorOptions): TrafficGenerator {
  const rng = createRng(options.seed);
  const { clock } = options;
  // Without a clock this is the next request's arrival time; with one, the last request's start.
  let arrivalMs = options.startMs ?? clock?.() ?? DEFAULT_START_MS;
  const schedule = createIncidentSchedule(rng, arrivalMs);
  const queue = createTimeQueue<SampleRecord>();
  const sink: RecordSink = (atMs, record) => queue.push(atMs, record);
  // The shop has just started, as after `make dev`: payments' start-up lines (an error among them) come first,
  // drawn from a random source of their own so the traffic that follows a seed stays the same.
  payments.started(createRequest(createRng(options.seed + 1), arrivalMs, null, sink, false));

  const startRequest = (): void => {
    const atMs = clock ? Math.max(clock(), arrivalMs) : arrivalMs;
    const incident = schedule.advance(atMs, (kind, log) => log(createRequest(rng, atMs, kind, sink, false)));
    const traced = !rng.chance(BACKGROUND_SHARE);
    const req = createRequest(rng, atMs, incident, sink, traced);
    if (traced) runRequest(req);
    else runBackground(req);
    arrivalMs = clock ? atMs : atMs + rng.exp(1000 / (REQUESTS_PER_SECOND * schedule.load()));
  };

  const next = (): SampleRecord => {
    if (clock) {
      // A wall clock may not move between calls, so waiting for a record to fall due could spin:
      // start one request when nothing is due and hand out the earliest record regardless.
      if (queue.peekTime() > clock()) startRequest();
    } else {
      // Start requests until the earliest queued record precedes the next arrival, so records come
      // out in time order with concurrent requests interleaved.
      while (queue.peekTime() > arrivalMs) startRequest();
    }
    while (queue.size === 0) startRequest();
    return queue.pop()!;
  };

  return {
    next,
    batch: (n) => Array.from({ length: n }, next),
    load: () => schedule.load(),
    incidents: () => schedule.windows(),
  };
}
