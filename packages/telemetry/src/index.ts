export { startTracing, type Tracing } from './tracing.ts';
export { injectTraceHeaders, extractTraceContext, linksFrom } from './carrier.ts';
