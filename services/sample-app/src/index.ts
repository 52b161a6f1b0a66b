export { createTrafficGenerator, type GeneratorOptions, type TrafficGenerator } from './generator.ts';
export {
  runSampleTraffic,
  toNdjson,
  type SampleTraffic,
  type SampleTrafficOptions,
  type TrafficStats,
} from './traffic.ts';
export type { SampleRecord } from './request.ts';
export type { IncidentKind, IncidentWindow } from './incidents.ts';
export { SERVICES, type ServiceName } from './fleet.ts';
