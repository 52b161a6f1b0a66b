export { buildEmbeddedPipeline, type EmbeddedDeps, type EmbeddedPipeline } from './app.ts';
export { EmbeddedConfig } from './config.ts';
